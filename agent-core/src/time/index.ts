export { systemClock, systemTimers, type Clock, type TimerHandle, type Timers } from './clock.js';
