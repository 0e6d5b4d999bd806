/** The one manual clock and timers (agent-core's), for the relay's time rules in tests. */
export { manualClock, type ManualClock } from '@cloud-connect/agent-core/testing';
