/** The cloudflared stand-in (see README.md) and what tests need around it. */
export { cloudflaredStandInBinDir, cloudflaredStandInPath } from './paths.js';
export {
  readStandInStatus,
  standInEnv,
  standInSignals,
  writeStandInScenario,
  type StandInBehaviour,
  type StandInScenario,
  type StandInStatus,
} from './scenario.js';
export { createStandInFixture, type StandInFixture } from './standInFixture.js';
export { makeTunnelToken, tunnelIdOf, type TunnelTokenParts } from './tunnelToken.js';
