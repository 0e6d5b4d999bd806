/** Test harness shared by relay-server's tests, agent-core's tests, e2e suites and benches. */
export { createAccount, createInstance, type TestAccount } from './accounts.js';
export { ApiClient, type ApiResponse } from './apiClient.js';
export { LogCapture, SecretLedger } from './logCapture.js';
export { latestMailToken, readOutbox, type OutboxMail } from './outbox.js';
export { startTestRelay, type TestRelay, type TestRelayOptions } from './testRelay.js';
