/** The tunnel supervisor: status model, health checks, restarts with backoff. */
export { backoffDelay, backoffPolicy, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.js';
export {
  TunnelSupervisor,
  type SupervisorEventMap,
  type TunnelSupervisorOptions,
} from './tunnelSupervisor.js';
