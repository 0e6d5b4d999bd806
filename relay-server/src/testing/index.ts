/**
 * Test harness shared by relay-server's tests, agent-core's tests, e2e suites and benches. Never
 * built: tsconfig.json leaves this folder out of dist, and the package's `./testing` export
 * resolves only under the `@cloud-connect/source` condition the tests run with.
 */
export { createAccount, createInstance, registration, type TestAccount } from './accounts.js';
export { ApiClient, type ApiResponse } from './apiClient.js';
export { NO_AGENT_DATA_PATH, UNCHECKED_DATA_PATH } from './apiShapes.js';
export { builtinEdgeEnv, builtinEdgeUrl } from './builtinEdge.js';
export {
  startDnsServer,
  type DnsFailure,
  type DnsRecordType,
  type TestDnsServer,
} from './dnsServer.js';
export { LogCapture, SecretLedger } from './logCapture.js';
export { manualClock, type ManualClock } from './manualClock.js';
export { latestMailToken, readOutbox, type OutboxMail } from './outbox.js';
export { rawRequest, type RawResponse } from './rawHttp.js';
export { mailText, startSmtpServer, type ReceivedMail, type TestSmtpServer } from './smtpServer.js';
export { startSmtpRelay } from './smtpRelay.js';
export { setPlan } from './plans.js';
export {
  recordingWireGuard,
  type RecordingWireGuard,
  type WireGuardCall,
} from './recordingWireGuard.js';
export {
  startStripeStandIn,
  type CompletedCheckout,
  type RecordedRequest,
  type StandInEvent,
  type StandInEventType,
  type StandInFailure,
  type StripeStandIn,
  type StripeStandInOptions,
} from './stripeStandIn.js';
export { subscribe } from './subscribe.js';
export { startTestRelay, type TestRelay, type TestRelayOptions } from './testRelay.js';
export { sleep, until } from './until.js';
