/**
 * The WireGuard tunnel driver and the pieces its owner needs: key generation, which the e2e
 * suites take from here. The other WireGuard primitives live in
 * `@cloud-connect/agent-core/wireguard`.
 */
export { generateKeyPair } from '../../wireguard/index.js';
export { tunnelErrorFromApi } from './apiFailure.js';
export { parseTarget } from './target.js';
export { WireGuardDriver, type WireGuardDriverOptions } from './wireguardDriver.js';
export type { InterfaceMode } from './wireguardInterface.js';
