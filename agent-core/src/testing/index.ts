/** Test harnesses for agent-core and the e2e tests: real daemons and stand-ins, each with clean teardown. */
export * from './keyring.js';
