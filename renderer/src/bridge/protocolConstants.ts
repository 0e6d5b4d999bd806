import type {
  BRIDGE_PATH as ContractBridgePath,
  CLOSE_UNAUTHORIZED as ContractCloseUnauthorized,
} from '@cloud-connect/agent-core/desktop';

// The renderer may not load agent-core's runtime code (it pulls in zod and Node-only modules),
// so the protocol's constants are restated here; their types pin them to the contract's values.

/** The web host's WebSocket path. */
export const BRIDGE_PATH: typeof ContractBridgePath = '/ws';
/** Close code for a missing or wrong access token. */
export const CLOSE_UNAUTHORIZED: typeof ContractCloseUnauthorized = 4401;
