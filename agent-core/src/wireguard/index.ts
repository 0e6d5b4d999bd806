/**
 * WireGuard primitives shared by the agent's tunnel driver and the relay's WireGuard server: the
 * command runner and its failures, key helpers, the `wg show dump` parser, and wireguard-go run
 * as a tracked foreground child (its banner filtered out of the warnings).
 */
export {
  commandFailure,
  createExecaRunner,
  interfaceAnswers,
  type RunCommand,
} from './commandRunner.js';
export { generateKeyPair, publicKeyOf, type WireGuardKeyPair } from './keys.js';
export { parseWgDump, type DumpPeer, type WgDump } from './wgDump.js';
export {
  startWireGuardGo,
  type StartDaemon,
  type StartWireGuardGoOptions,
  type WireGuardDaemon,
  type WireGuardGoExit,
} from './wireguardGo.js';
export { WireGuardError, type WireGuardAdvice, type WireGuardErrorCode } from './wireguardError.js';
