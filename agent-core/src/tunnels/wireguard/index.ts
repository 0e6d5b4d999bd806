/** The WireGuard tunnel driver and the pieces its owner needs (key generation). */
export { generateKeyPair, publicKeyOf, type WireGuardKeyPair } from '../../wireguard/index.js';
export type { RunCommand } from '../../wireguard/index.js';
export { tunnelErrorFromApi } from './apiFailure.js';
export { parseTarget } from './target.js';
export { WireGuardDriver, type WireGuardDriverOptions } from './wireguardDriver.js';
export type { InterfaceMode } from './wireguardInterface.js';
