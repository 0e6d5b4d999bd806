/** The typed Cloud API client: user side (RelayClient) and instance side (InstanceClient). */
export { ApiError, type ApiErrorCode, type ClientErrorCode } from './apiError.js';
export { InstanceClient, type InstanceApi } from './instanceClient.js';
export { memoryTokenStore, RelayClient, type TokenPair, type TokenStore } from './relayClient.js';
export {
  callEndpoint,
  type CallInput,
  type FetchLike,
  type TransportOptions,
} from './transport.js';
