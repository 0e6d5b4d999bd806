/** Test harnesses for agent-core and the e2e tests: real daemons and stand-ins, each with clean teardown. */
export * from './keyring.js';
export * from './dockerEngineStandIn.js';
export * from './cloudflaredStandIn/index.js';
export * from './eventWaiter.js';
export * from './processTree.js';
export * from './manualClock.js';
export * from './relayOnlyWireGuard.js';
