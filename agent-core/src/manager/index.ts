/** The Manager: the one object the desktop app, the web host and the CLI drive. */
export { createManager, type CreateManagerOptions } from './createManager.js';
export { idleStatus } from './idleStatus.js';
export { LogBook } from './logBook.js';
export { Manager, type DriverFactory, type ManagerDeps } from './manager.js';
export { ManagerError, toFailure, type ManagerErrorCode } from './results.js';
export { cliDataDir, desktopDataDir } from '../status/dataDirs.js';
export {
  createStatusFileWriter,
  readStatuses,
  type FoundStatus,
  type StatusFileWriter,
  type StatusRecord,
} from '../status/statusFiles.js';
