import type { InstanceApi } from '../../client/instanceClient.js';
import { secretAccounts } from '../../secrets/secretAccounts.js';
import type { ConnectionSettings } from '../../settings/settingsSchema.js';
import type { SettingsStore } from '../../settings/settingsStore.js';
import type { TunnelDriver } from '../../tunnels/driver.js';
import type { RelayDriverOptions } from '../../tunnels/relay/relayDriver.js';
import { generateKeyPair } from '../../wireguard/keys.js';
import type { KnownSecrets } from '../knownSecrets.js';
import type { RelayClientFactory } from '../relayClients.js';
import { ManagerError } from '../results.js';
import type { RelayReports } from './relayReports.js';

/** How the Manager makes tunnel drivers; tests and hosts can point them at other binaries. */
export interface DriverFactory {
  cloudflared(token: string): TunnelDriver;
  /** A relay connection over its transport (createManager's makes a RelayDriver). */
  relay(options: RelayDriverOptions): TunnelDriver;
}

/** A saved connection by id; NOT_FOUND when there is none. */
export function savedConnection(settings: SettingsStore, id: string): ConnectionSettings {
  const c = settings.getConnection(id);
  if (!c) throw new ManagerError('NOT_FOUND', 'There is no such connection');
  return c;
}

/** The secret a connection's tunnel needs: its Cloudflare token, or its instance's token. */
export function tokenAccountOf(c: Pick<ConnectionSettings, 'id' | 'kind' | 'instanceId'>): string {
  return c.kind === 'cloudflare'
    ? secretAccounts.cloudflareToken(c.id)
    : secretAccounts.instanceToken(c.instanceId ?? '');
}

/** A connection's driver, and for a relay connection the instance API it talks through. */
export interface ConnectionDriver {
  driver: TunnelDriver;
  /** What the relay-status poll of a running relay connection asks (null for Cloudflare). */
  api: InstanceApi | null;
}

export interface ConnectionDriversDeps {
  settings: SettingsStore;
  secrets: KnownSecrets;
  drivers: DriverFactory;
  clients: RelayClientFactory;
  reports: RelayReports;
}

/** Builds a connection's tunnel from its settings and its secrets. */
export class ConnectionDrivers {
  constructor(private readonly deps: ConnectionDriversDeps) {}

  /** A Cloudflare driver for a token that is not saved anywhere (a test of a draft). */
  cloudflared(token: string): TunnelDriver {
    return this.deps.drivers.cloudflared(token);
  }

  /**
   * A driver for the saved connection; a relay one gets its transport, the instance token and
   * the relay's URL (the stream transport dials it), a WireGuard private key (made and kept on
   * first use) and an instance API that records what the relay says for the connection's view.
   */
  async driverFor(c: ConnectionSettings): Promise<ConnectionDriver> {
    const { secrets, drivers, reports } = this.deps;
    if (c.kind === 'cloudflare') {
      const token = await secrets.get(secretAccounts.cloudflareToken(c.id));
      if (!token)
        throw new ManagerError(
          'TOKEN_MISSING',
          `"${c.name}" has no Cloudflare tunnel token; edit it and paste the token`,
        );
      return { driver: drivers.cloudflared(token), api: null };
    }
    const token = await this.instanceTokenOf(c);
    const relayUrl = this.deps.settings.getRelayUrl();
    const api = reports.recording(c.id, this.deps.clients.instance(relayUrl, token));
    let privateKey = await secrets.get(secretAccounts.wireguardKey(c.id));
    if (!privateKey) {
      privateKey = generateKeyPair().privateKey;
      await secrets.set(secretAccounts.wireguardKey(c.id), privateKey);
    }
    const driver = drivers.relay({
      // A relay connection always has one (settings refuse one without); auto as for version 1.
      transport: c.transport ?? 'auto',
      api,
      relayUrl,
      token,
      privateKey,
      target: c.target ?? '',
    });
    return { driver, api };
  }

  /** The tunnel endpoints with a relay connection's instance token, at the saved relay. */
  async instanceApiFor(c: ConnectionSettings): Promise<InstanceApi> {
    const token = await this.instanceTokenOf(c);
    return this.deps.clients.instance(this.deps.settings.getRelayUrl(), token);
  }

  private async instanceTokenOf(c: ConnectionSettings): Promise<string> {
    const instanceToken = await this.deps.secrets.get(
      secretAccounts.instanceToken(c.instanceId ?? ''),
    );
    if (!instanceToken) {
      throw new ManagerError(
        'TOKEN_MISSING',
        `"${c.name}" has no instance token on this machine; paste it when editing the connection, or regenerate it`,
      );
    }
    return instanceToken;
  }
}
