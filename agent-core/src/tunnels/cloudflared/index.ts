/** The cloudflared driver: process, readiness, log parsing, token redaction. */
export { CloudflaredDriver, type CloudflaredDriverOptions } from './cloudflaredDriver.js';
export {
  classify,
  hostnamesFromConfig,
  INVALID_TOKEN_MESSAGE,
  parseFields,
  parseLogLine,
  type CloudflaredLogEvent,
  type ParsedLogLine,
} from './logLines.js';
export { CLOUDFLARED_INSTALL_URL } from './processErrors.js';
export { fetchReadiness, parseReadyResponse, type Readiness } from './readiness.js';
export { REDACTED, redactSecrets, secretsOfToken } from './redaction.js';
