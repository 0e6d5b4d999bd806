/** The Manager: the one object the desktop app, the web host and the CLI drive. */
export { createManager, type CreateManagerOptions } from './createManager.js';
export { idleStatus } from '../status/idleStatus.js';
export { LogBook } from './logBook.js';
export { composeManager, type DriverFactory, type Manager, type ManagerDeps } from './manager.js';
export { httpRelayClients, type RelayClientFactory } from './relayClients.js';
export { secretTokenStore } from './sessionTokens.js';
export { ManagerError, toFailure, type ManagerErrorCode } from './results.js';
export { cliDataDir, desktopDataDir } from '../status/dataDirs.js';
export {
  createStatusFileWriter,
  readStatuses,
  type FoundStatus,
  type StatusFileWriter,
  type StatusRecord,
} from '../status/statusFiles.js';
