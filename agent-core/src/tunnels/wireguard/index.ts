/** The WireGuard tunnel driver and the pieces its owner needs (key generation). */
export { generateKeyPair, publicKeyOf, type WireGuardKeyPair } from './keys.js';
export {
  WireGuardDriver,
  parseTarget,
  tunnelErrorFromApi,
  type WireGuardDriverOptions,
} from './wireguardDriver.js';
export type { InterfaceMode } from './wireguardInterface.js';
export type { RunCommand } from './commandRunner.js';
export {
  createLineSplitter,
  isWireGuardGoBanner,
  wireGuardGoLineLevel,
} from './wireguardGoOutput.js';
