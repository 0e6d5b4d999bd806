import type Router from '@koa/router';
import { getSubscription } from '../../commands/billing/getSubscription.js';
import { handleStripeEvent } from '../../commands/billing/handleStripeEvent.js';
import { requireBilling } from '../../commands/billing/requireBilling.js';
import { openPortal, startCheckout } from '../../commands/billing/startCheckout.js';
import { AppError } from '../../errors/appError.js';
import type { AppState } from '../../http/context.js';
import { mount, signedInMount, type MountOptions } from '../../http/mount.js';
import type { Services } from '../../services.js';
import { page } from '../pages/page.js';

export function billingRoutes(router: Router<AppState>, deps: Services, opts: MountOptions) {
  const signedIn = signedInMount(router, deps, opts);
  signedIn('checkout', (i, user) => startCheckout(deps, user, i.body.plan));
  signedIn('getSubscription', (_i, user) => getSubscription(deps, user));
  signedIn('portal', (i, user) => openPortal(deps, user, i.body.return_url));

  mount(
    router,
    'webhook',
    [],
    async (_i, ctx) => {
      const billing = requireBilling(deps);
      const signature = ctx.get('stripe-signature');
      let event: unknown;
      try {
        event = billing.constructEvent(ctx.state.rawBody ?? Buffer.alloc(0), signature);
      } catch (e) {
        // stripe-node parses the body only once the signature holds: a signed body that is not
        // JSON is a poison event like any other payload of the wrong shape (handleStripeEvent).
        if (e instanceof SyntaxError) {
          deps.metrics.webhookFailures.inc({ reason: 'malformed' });
          deps.logger.warn('webhook body is signed but not JSON; acknowledged and ignored');
          return { received: true as const };
        }
        deps.metrics.webhookFailures.inc({ reason: 'signature' });
        deps.logger.warn({ reason: (e as Error).name }, 'webhook signature rejected');
        throw new AppError(
          'WEBHOOK_SIGNATURE_INVALID',
          'The Stripe-Signature header does not match this body, or it is too old',
        );
      }
      try {
        await handleStripeEvent(deps, billing, event);
      } catch (e) {
        deps.metrics.webhookFailures.inc({ reason: 'processing' });
        throw e;
      }
      return { received: true as const };
    },
    opts,
  );

  router.get('billingSuccess', '/billing/success', (ctx) => {
    page(
      ctx,
      'Payment successful',
      'Payment successful! You can close this tab and return to Cloud Connect.',
    );
  });
  router.get('billingCancel', '/billing/cancel', (ctx) => {
    page(
      ctx,
      'Payment cancelled',
      'Payment cancelled. You can close this tab and try again from Cloud Connect.',
    );
  });
  router.get('billingReturn', '/billing/return', (ctx) => {
    page(
      ctx,
      'Billing updated',
      'You can close this tab and return to Cloud Connect; your plan updates there.',
    );
  });
}
