import { InstanceClient, type InstanceApi } from '../client/instanceClient.js';
import { RelayClient, type TokenStore } from '../client/relayClient.js';

/**
 * How the Manager reaches a relay. It never builds clients itself: the host passes this in, so
 * tests (and a future transport) can count, wrap or replace them.
 */
export interface RelayClientFactory {
  /** The user's side of the relay at `relayUrl` (account, billing, instances, domains). */
  user(relayUrl: string): RelayClient;
  /** One instance's tunnel endpoints at `relayUrl`, called with its instance token. */
  instance(relayUrl: string, instanceToken: string): InstanceApi;
}

/** Clients over HTTP, the user's session tokens kept in `tokens` (the SecretStore in the app). */
export function httpRelayClients(tokens: TokenStore): RelayClientFactory {
  return {
    user: (relayUrl) => new RelayClient({ baseUrl: relayUrl }, tokens),
    instance: (relayUrl, instanceToken) => new InstanceClient({ baseUrl: relayUrl }, instanceToken),
  };
}
