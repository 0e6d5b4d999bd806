import { describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../wireguard/keys.js';
import { planFromTunnelConfig, renderSetconf } from './wgConfig.js';

const server = generateKeyPair();
const good = {
  interface: { address: '10.100.0.7/32' },
  peer: {
    public_key: server.publicKey,
    endpoint: 'relay.example.com:51820',
    allowed_ips: '10.100.0.1/32',
    persistent_keepalive: 25,
  },
};

describe('planFromTunnelConfig', () => {
  it('takes the tunnel IP, the relay tunnel IP, key, endpoint and keepalive', () => {
    expect(planFromTunnelConfig(good)).toEqual({
      tunnelIp: '10.100.0.7',
      serverIp: '10.100.0.1',
      serverPublicKey: server.publicKey,
      endpoint: 'relay.example.com:51820',
      allowedIps: ['10.100.0.1/32'],
      persistentKeepalive: 25,
    });
  });

  it.each([
    ['an address that is not a CIDR', { ...good, interface: { address: '10.100.0.7' } }],
    ['a key that is not a key', { ...good, peer: { ...good.peer, public_key: 'abc' } }],
    [
      'an endpoint with a newline (config injection)',
      { ...good, peer: { ...good.peer, endpoint: 'a:1\nPostUp = rm -rf /' } },
    ],
    [
      'an endpoint without a port',
      { ...good, peer: { ...good.peer, endpoint: 'relay.example.com' } },
    ],
    [
      'allowed_ips that are not CIDRs',
      { ...good, peer: { ...good.peer, allowed_ips: 'everything' } },
    ],
  ])('refuses %s with CONFIG_INVALID', (_what, config) => {
    expect(() => planFromTunnelConfig(config)).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
  });
});

describe('renderSetconf', () => {
  it('writes the wg setconf format with the private key and the relay as the one peer', () => {
    const me = generateKeyPair();
    expect(renderSetconf(me.privateKey, planFromTunnelConfig(good))).toBe(
      [
        '[Interface]',
        `PrivateKey = ${me.privateKey}`,
        '',
        '[Peer]',
        `PublicKey = ${server.publicKey}`,
        'Endpoint = relay.example.com:51820',
        'AllowedIPs = 10.100.0.1/32',
        'PersistentKeepalive = 25',
        '',
      ].join('\n'),
    );
  });
});
