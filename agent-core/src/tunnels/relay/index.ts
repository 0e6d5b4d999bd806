/** A relay connection over the chosen transport: WireGuard, the stream transport, or auto. */
export { RelayDriver, type RelayDriverOptions } from './relayDriver.js';
