import type { Billing } from '../../billing/billing.js';
import { AppError } from '../../errors/appError.js';
import type { Services } from '../../services.js';

/** The billing client, or 503 BILLING_NOT_CONFIGURED when this relay runs without Stripe. */
export function requireBilling(deps: Pick<Services, 'billing'>): Billing {
  if (!deps.billing) {
    throw new AppError(
      'BILLING_NOT_CONFIGURED',
      'Billing is not set up on this relay; every account is on the Free plan',
    );
  }
  return deps.billing;
}

/** Stripe failed or is unreachable: log it (without secrets) and tell the user to retry. */
export function paymentProviderDown(
  deps: Pick<Services, 'logger'>,
  what: string,
  cause: unknown,
): AppError {
  const e = cause as { type?: string; code?: string; statusCode?: number; message?: string };
  deps.logger.error(
    { what, type: e.type, code: e.code, status: e.statusCode, msg: e.message },
    'Stripe call failed',
  );
  return new AppError(
    'SERVICE_UNAVAILABLE',
    'The payment provider did not answer; try again in a minute',
  );
}
