import { isIPv4 } from 'node:net';
import { WIREGUARD_KEY_PATTERN } from '../../api/common.js';
import type { RegisterTunnelResponse } from '../../api/index.js';
import { TunnelError } from '../tunnelError.js';

/** The relay's tunnel_config, checked field by field before any of it reaches a config file. */
export interface TunnelPlan {
  /** This agent's tunnel address (no prefix). */
  tunnelIp: string;
  /** The relay's tunnel address: the route and the reachability probe go there. */
  serverIp: string;
  serverPublicKey: string;
  endpoint: string;
  allowedIps: string[];
  persistentKeepalive: number;
}

const invalid = (what: string) =>
  new TunnelError('CONFIG_INVALID', `The relay sent an unusable tunnel configuration: ${what}`);

function cidr(text: string): { ip: string; prefix: number } | null {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(text.trim());
  if (!m || !isIPv4(m[1] as string) || Number(m[2]) > 32) return null;
  return { ip: m[1] as string, prefix: Number(m[2]) };
}

/**
 * Validate the relay's answer to register. Every value ends up in a `wg setconf` file or an
 * `ip` argument, so anything that is not exactly an address, key or host:port is refused.
 */
export function planFromTunnelConfig(config: RegisterTunnelResponse['tunnel_config']): TunnelPlan {
  const address = cidr(config.interface.address);
  if (!address) throw invalid(`interface address "${config.interface.address}"`);
  const { public_key, endpoint, allowed_ips, persistent_keepalive } = config.peer;
  if (!WIREGUARD_KEY_PATTERN.test(public_key)) throw invalid('server public key');
  if (
    !/^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(endpoint) ||
    Number(endpoint.split(':').pop()) > 65535
  ) {
    throw invalid(`endpoint "${endpoint}"`);
  }
  const allowed = allowed_ips.split(',').map((s) => s.trim());
  const parsed = allowed.map(cidr);
  if (!parsed.length || parsed.some((p) => p === null))
    throw invalid(`allowed_ips "${allowed_ips}"`);
  if (
    !Number.isInteger(persistent_keepalive) ||
    persistent_keepalive < 0 ||
    persistent_keepalive > 65535
  ) {
    throw invalid('persistent_keepalive');
  }
  return {
    tunnelIp: address.ip,
    serverIp: (parsed[0] as { ip: string }).ip,
    serverPublicKey: public_key,
    endpoint,
    allowedIps: allowed,
    persistentKeepalive: persistent_keepalive,
  };
}

/** The `wg setconf` file: the private key lives only here (mode 0600) and in memory. */
export function renderSetconf(privateKey: string, plan: TunnelPlan): string {
  if (!WIREGUARD_KEY_PATTERN.test(privateKey)) {
    throw new TunnelError('CONFIG_INVALID', 'The WireGuard private key is not 32 bytes of base64');
  }
  return [
    '[Interface]',
    `PrivateKey = ${privateKey}`,
    '',
    '[Peer]',
    `PublicKey = ${plan.serverPublicKey}`,
    `Endpoint = ${plan.endpoint}`,
    `AllowedIPs = ${plan.allowedIps.join(', ')}`,
    `PersistentKeepalive = ${plan.persistentKeepalive}`,
    '',
  ].join('\n');
}
