import { PaidPlan, SubscriptionStatus, type Plan } from '@cloud-connect/agent-core/api';
import type { Billing } from '../../billing/billing.js';
import type { Services } from '../../services.js';
import type { Store, SubscriptionRecord, UserRecord } from '../../store/types.js';
import { parseStripeEvent, type Subscription, type UsedEvent } from './stripeEvent.js';

const ACTIVE_LIKE = new Set(['active', 'trialing', 'past_due']);
/** Stripe never revives a subscription from these; a later-arriving event about it is stale. */
const FINAL = new Set(['canceled', 'incomplete_expired']);
const iso = (unix: number | null | undefined) =>
  unix ? new Date(unix * 1000).toISOString() : null;
const idOf = (v: string | { id: string } | null | undefined) =>
  typeof v === 'string' ? v : (v?.id ?? null);
/** The plan checkout put in the metadata (`startCheckout`); anything else is Free. */
const metadataPlan = (metadata: Record<string, string> | null | undefined): Plan =>
  PaidPlan.safeParse(metadata?.plan).data ?? 'free';

/** Find the user an event is about: by Stripe customer, then by the user id we put in metadata. */
async function userFor(
  deps: Services,
  customer: string | null,
  metadataUserId: string | undefined,
) {
  const byCustomer = customer ? await deps.store.users.findByStripeCustomer(customer) : null;
  if (byCustomer) return byCustomer;
  const byMeta = metadataUserId ? await deps.store.users.get(metadataUserId) : null;
  if (byMeta && customer && !byMeta.stripeCustomerId) {
    return (await deps.store.users.update(byMeta.id, { stripeCustomerId: customer })) ?? byMeta;
  }
  return byMeta;
}

/**
 * Whether state from an event created at `created` about subscription `id` may replace what
 * the user has. Older events never win, and nothing changes a subscription that has ended
 * (`created` has whole seconds, so an update from the same second as the deletion must not win
 * either); an event about another subscription wins only if it is newer and either it is live
 * or the current one is not.
 */
function supersedes(
  current: SubscriptionRecord | null,
  id: string,
  created: number,
  status: string,
): boolean {
  if (!current) return true;
  if (created < current.sourceEventCreated) return false;
  if (current.id === id) return !FINAL.has(current.status);
  return ACTIVE_LIKE.has(status) || !ACTIVE_LIKE.has(current.status);
}

function fromSubscription(
  billing: Billing,
  sub: Subscription,
  created: number,
  previous: SubscriptionRecord | null,
): SubscriptionRecord {
  const item = sub.items?.data[0];
  const priceId = item?.price?.id ?? null;
  const plan = billing.planForPrice(priceId) ?? metadataPlan(sub.metadata);
  const status = SubscriptionStatus.safeParse(sub.status);
  const paymentMethodId = idOf(sub.default_payment_method);
  return {
    id: sub.id,
    status: status.success ? status.data : 'incomplete',
    priceId,
    plan,
    // API versions from 2025-03-31 keep the period on the items; older ones on the subscription.
    currentPeriodStart: iso(item?.current_period_start ?? sub.current_period_start),
    currentPeriodEnd: iso(item?.current_period_end ?? sub.current_period_end),
    cancelAtPeriodEnd: Boolean(sub.cancel_at_period_end),
    paymentMethodId,
    paymentMethod:
      previous?.id === sub.id && previous.paymentMethodId === paymentMethodId
        ? previous.paymentMethod
        : null,
    sourceEventCreated: created,
  };
}

async function save(deps: Services, user: UserRecord, next: SubscriptionRecord) {
  await deps.store.users.update(user.id, { subscription: next });
  deps.logger.info(
    { user_id: user.id, status: next.status, plan: next.plan },
    'subscription updated',
  );
}

const queues = new WeakMap<Store, Promise<unknown>>();

/**
 * Run webhook work one event at a time per store. Stripe delivers concurrently and at least
 * once: two deliveries of one event id must not both pass the "seen?" check, and two events
 * about one user must not interleave their read and write of the subscription. (One relay
 * process owns the store; a shared SQL store would claim the event id in a transaction.)
 */
function oneAtATime(store: Store, task: () => Promise<void>): Promise<void> {
  const run = (queues.get(store) ?? Promise.resolve()).then(task);
  queues.set(
    store,
    run.catch(() => undefined),
  );
  return run;
}

/** What became of a verified event: applied (or already seen), or acknowledged and ignored. */
export type WebhookOutcome = 'processed' | 'ignored';

/**
 * Apply one verified Stripe event. Each event id is processed once; state comes from the
 * event payload alone and an event older than the state we hold never overwrites it. A
 * payload of the wrong shape is ignored with a warning (and counted): answering it with an
 * error would only make Stripe retry it for days. A failure to apply a well-formed event (the
 * store is down) is thrown, so Stripe retries it.
 */
export async function handleStripeEvent(
  deps: Services,
  billing: Billing,
  payload: unknown,
): Promise<WebhookOutcome> {
  const parsed = parseStripeEvent(payload);
  if (parsed.kind === 'malformed') {
    deps.metrics.webhookFailures.inc({ reason: 'malformed' });
    deps.logger.warn(
      { event_id: parsed.id, type: parsed.type, problems: parsed.problems },
      'webhook event of an unexpected shape acknowledged and ignored',
    );
    return 'ignored';
  }
  if (parsed.kind === 'unused') {
    deps.logger.debug({ event_id: parsed.id, type: parsed.type }, 'webhook event type not used');
    await oneAtATime(deps.store, () => recordSeen(deps, parsed.id, parsed.type));
    return 'processed';
  }
  await oneAtATime(deps.store, () => applyEvent(deps, billing, parsed.event));
  return 'processed';
}

async function recordSeen(deps: Services, id: string, type: string): Promise<void> {
  if (await deps.store.webhookEvents.has(id)) return;
  await deps.store.webhookEvents.record({
    id,
    type,
    processedAt: deps.clock.now().toISOString(),
  });
}

async function applyEvent(deps: Services, billing: Billing, event: UsedEvent): Promise<void> {
  if (await deps.store.webhookEvents.has(event.id)) return;
  switch (event.type) {
    case 'checkout.session.completed': {
      const s = event.data.object;
      const subscriptionId = idOf(s.subscription);
      const user = await userFor(
        deps,
        idOf(s.customer),
        s.client_reference_id ?? s.metadata?.user_id,
      );
      if (!user || !subscriptionId) break;
      const current = user.subscription;
      // Only seeds state: the subscription.* events carry the full object and win over this.
      if (
        current?.id === subscriptionId ||
        !supersedes(current, subscriptionId, event.created, 'active')
      )
        break;
      await save(deps, user, {
        id: subscriptionId,
        status: s.payment_status === 'unpaid' ? 'incomplete' : 'active',
        priceId: null,
        plan: metadataPlan(s.metadata),
        currentPeriodStart: null,
        currentPeriodEnd: null,
        cancelAtPeriodEnd: false,
        paymentMethodId: null,
        paymentMethod: null,
        sourceEventCreated: event.created,
      });
      break;
    }
    case 'customer.subscription.created':
    case 'customer.subscription.updated':
    case 'customer.subscription.deleted': {
      const sub = event.data.object;
      const user = await userFor(deps, idOf(sub.customer), sub.metadata?.user_id);
      if (!user) {
        deps.logger.warn(
          { event_id: event.id, type: event.type },
          'webhook for an unknown customer ignored',
        );
        break;
      }
      const status = event.type === 'customer.subscription.deleted' ? 'canceled' : sub.status;
      if (!supersedes(user.subscription, sub.id, event.created, status)) break;
      const next = fromSubscription(billing, sub, event.created, user.subscription);
      if (event.type === 'customer.subscription.deleted') next.status = 'canceled';
      await save(deps, user, next);
      break;
    }
    case 'invoice.payment_failed': {
      const invoice = event.data.object;
      const subscriptionId =
        idOf(invoice.parent?.subscription_details?.subscription) ?? idOf(invoice.subscription);
      const user = await userFor(deps, idOf(invoice.customer), undefined);
      const current = user?.subscription;
      if (
        !user ||
        !current ||
        current.id !== subscriptionId ||
        event.created < current.sourceEventCreated
      )
        break;
      if (current.status === 'active' || current.status === 'trialing') {
        await save(deps, user, {
          ...current,
          status: 'past_due',
          sourceEventCreated: event.created,
        });
      }
      break;
    }
    default: {
      const unhandled: never = event;
      return unhandled;
    }
  }
  await deps.store.webhookEvents.record({
    id: event.id,
    type: event.type,
    processedAt: deps.clock.now().toISOString(),
  });
}
