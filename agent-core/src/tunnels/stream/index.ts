/** The stream transport's agent end: outbound HTTP/2 sessions to the relay, no privilege needed. */
export { StreamDriver, type StreamDriverOptions } from './streamDriver.js';
