/** The tunnel supervisor: status model, health checks, restarts with backoff. */
export { backoffDelay, backoffPolicy, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.js';
export {
  systemClock,
  TunnelSupervisor,
  type SupervisorClock,
  type SupervisorEventMap,
  type TunnelSupervisorOptions,
} from './tunnelSupervisor.js';
