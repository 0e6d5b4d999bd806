/**
 * Test harnesses for agent-core and the e2e tests: real daemons and stand-ins, each with clean
 * teardown. Never built: tsconfig.json leaves this folder out of dist, and the package's
 * `./testing` export resolves only under the `@cloud-connect/source` condition.
 */
export * from './keyring.js';
export * from './dockerEngineStandIn.js';
export * from './cloudflaredStandIn/index.js';
export * from './eventWaiter.js';
export * from './processTree.js';
export * from './manualClock.js';
export * from './relayOnlyWireGuard.js';
export * from './connectionView.js';
export * from './secretSamples.js';
export * from './wireGuardGoStandIn.js';
