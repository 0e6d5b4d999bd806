import { ApiError } from '../../client/apiError.js';
import { TunnelError } from '../tunnelError.js';

/** The API's answer turned into what the supervisor acts on. */
export function tunnelErrorFromApi(e: unknown, relay = 'the relay'): TunnelError {
  if (e instanceof TunnelError) return e;
  if (!(e instanceof ApiError)) return TunnelError.from(e);
  switch (e.code) {
    case 'UNAUTHORIZED':
      return new TunnelError(
        'TOKEN_REVOKED',
        'The relay no longer accepts this instance token: it was regenerated or the instance was deleted. Enter the new instance token to reconnect.',
      );
    case 'NETWORK_ERROR':
    case 'TIMEOUT':
      return new TunnelError('UNREACHABLE', e.message);
    case 'VALIDATION_ERROR':
      return new TunnelError('CONFIG_INVALID', `${relay} refused the registration: ${e.message}`);
    default:
      // Rate limits, 5xx, answers off the contract: the relay is there (the network works) but
      // not usable right now.
      return new TunnelError(
        'RELAY_ERROR',
        `${relay} answered ${e.status || ''} ${e.code}: ${e.message}`.replace(/\s+/g, ' '),
        {
          api_code: e.code,
        },
      );
  }
}
