import { z } from 'zod';

/**
 * The parts of Stripe's events the relay reads, checked before anything is applied. A signed
 * event is still input: a payload of another shape (a test fired from the dashboard with
 * another API version, a hand-made event) must be acknowledged and ignored, not crash the
 * handler, or Stripe retries it for three days. Objects are loose: Stripe adds fields freely.
 */

/** An expandable reference: an id, or the object it names. */
const Ref = z.union([z.string().min(1), z.looseObject({ id: z.string().min(1) })]);
const Metadata = z.record(z.string(), z.string()).nullish();
const UnixTime = z.number().int().nonnegative();

export const CheckoutSession = z.looseObject({
  object: z.literal('checkout.session'),
  customer: Ref.nullish(),
  subscription: Ref.nullish(),
  client_reference_id: z.string().nullish(),
  metadata: Metadata,
  payment_status: z.string().nullish(),
});

export const Subscription = z.looseObject({
  object: z.literal('subscription'),
  id: z.string().min(1),
  customer: Ref,
  status: z.string().min(1),
  metadata: Metadata,
  cancel_at_period_end: z.boolean().nullish(),
  default_payment_method: Ref.nullish(),
  // API versions before 2025-03-31 keep the period here; later ones on the items.
  current_period_start: UnixTime.nullish(),
  current_period_end: UnixTime.nullish(),
  items: z
    .looseObject({
      data: z.array(
        z.looseObject({
          price: z.looseObject({ id: z.string().min(1) }).nullish(),
          current_period_start: UnixTime.nullish(),
          current_period_end: UnixTime.nullish(),
        }),
      ),
    })
    .nullish(),
});
export type Subscription = z.infer<typeof Subscription>;

export const Invoice = z.looseObject({
  object: z.literal('invoice'),
  customer: Ref.nullish(),
  // Before API version 2025-03-31 the subscription sat on the invoice itself.
  subscription: Ref.nullish(),
  parent: z
    .looseObject({
      subscription_details: z.looseObject({ subscription: Ref.nullish() }).nullish(),
    })
    .nullish(),
});

const envelope = <T extends string, O extends z.ZodType>(type: T, object: O) =>
  z.looseObject({
    id: z.string().min(1),
    type: z.literal(type),
    created: UnixTime,
    data: z.looseObject({ object }),
  });

/** The events the relay acts on, each with the object it reads. */
export const UsedEvent = z.discriminatedUnion('type', [
  envelope('checkout.session.completed', CheckoutSession),
  envelope('customer.subscription.created', Subscription),
  envelope('customer.subscription.updated', Subscription),
  envelope('customer.subscription.deleted', Subscription),
  envelope('invoice.payment_failed', Invoice),
]);
export type UsedEvent = z.infer<typeof UsedEvent>;
const USED_TYPES: ReadonlySet<string> = new Set(UsedEvent.options.map((o) => o.shape.type.value));

/** Any event: what is needed to record that it was seen. */
const AnyEvent = z.looseObject({
  id: z.string().min(1),
  type: z.string().min(1),
  created: UnixTime,
  data: z.looseObject({ object: z.looseObject({}) }),
});

export type ParsedEvent =
  | { kind: 'used'; event: UsedEvent }
  | { kind: 'unused'; id: string; type: string }
  | { kind: 'malformed'; id: string | null; type: string | null; problems: string[] };

/** Where each problem is and what it is, never the values (they may hold customer data). */
function problemsOf(error: z.ZodError): string[] {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : 'event'}: ${i.message}`);
}

/** Sort a verified payload into an event the relay uses, one it does not use, or a malformed one. */
export function parseStripeEvent(payload: unknown): ParsedEvent {
  const base = AnyEvent.safeParse(payload);
  if (!base.success) {
    const loose = z
      .looseObject({
        id: z.string().optional().catch(undefined),
        type: z.string().optional().catch(undefined),
      })
      .safeParse(payload);
    return {
      kind: 'malformed',
      id: loose.data?.id?.slice(0, 100) ?? null,
      type: loose.data?.type?.slice(0, 100) ?? null,
      problems: problemsOf(base.error),
    };
  }
  if (!USED_TYPES.has(base.data.type)) {
    return { kind: 'unused', id: base.data.id, type: base.data.type };
  }
  const used = UsedEvent.safeParse(payload);
  if (!used.success) {
    return {
      kind: 'malformed',
      id: base.data.id,
      type: base.data.type,
      problems: problemsOf(used.error),
    };
  }
  return { kind: 'used', event: used.data };
}
