/**
 * The status words every surface shares (Instances screen, connection card, tray, CLI). The
 * renderer bundles this entry, so it may only re-export modules with type-only imports: no
 * zod, no Node (the status files beside it are exported from `./manager` instead).
 */
export {
  connectionStatusWords,
  instanceStatusWords,
  type ConnectionStatusInput,
  type RelayInstanceStatus,
  type StatusState,
  type StatusTone,
  type StatusWords,
} from './statusWords.js';
export { idleStatus } from './idleStatus.js';
export {
  TRANSPORT_DETAILS,
  TRANSPORT_LABELS,
  transportWords,
  type TransportInput,
  type TransportWords,
} from './transportWords.js';
