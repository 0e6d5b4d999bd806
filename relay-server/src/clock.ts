/**
 * Time as the relay sees it: one Clock and Timers for every package
 * (`@cloud-connect/agent-core/time`); tests pass a manual one to move time forward.
 */
export {
  systemClock,
  systemTimers,
  type Clock,
  type TimerHandle,
  type Timers,
} from '@cloud-connect/agent-core/time';
