/**
 * The WireGuard tunnel driver. The WireGuard primitives it builds on (keys, the command runner,
 * wireguard-go) live in `@cloud-connect/agent-core/wireguard`.
 */
export { tunnelErrorFromApi } from './apiFailure.js';
export { parseTarget } from './target.js';
export { WireGuardDriver, type WireGuardDriverOptions } from './wireguardDriver.js';
export type { InterfaceMode } from './wireguardInterface.js';
