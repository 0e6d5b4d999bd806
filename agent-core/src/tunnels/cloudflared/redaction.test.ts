import { describe, expect, it } from 'vitest';
import { makeTunnelToken } from '../../testing/cloudflaredStandIn/tunnelToken.js';
import { parseReadyResponse } from './readiness.js';
import { REDACTED, redactSecrets, secretsOfToken } from './redaction.js';

describe('redactSecrets', () => {
  const secret = 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXh5eg==';
  const token = makeTunnelToken({ secret });

  it('removes the token and the secret inside it', () => {
    const known = secretsOfToken(token);
    expect(known).toContain(secret);
    const out = redactSecrets(`token ${token} and secret ${secret} here`, known);
    expect(out).not.toContain(token);
    expect(out).not.toContain(secret);
    expect(out).toBe(`token ${REDACTED} and secret ${REDACTED} here`);
  });

  it('removes token-like strings it was not told about', () => {
    const other = makeTunnelToken();
    expect(redactSecrets(`Settings: map[token:${other}]`)).not.toContain(other);
    expect(redactSecrets(`run --token ${'x'.repeat(40)}`)).toBe(`run --token ${REDACTED}`);
    expect(redactSecrets(`TUNNEL_TOKEN=${'y'.repeat(30)} next`)).toBe(
      `TUNNEL_TOKEN=${REDACTED} next`,
    );
  });

  it('leaves ordinary cloudflared lines alone', () => {
    const lines = [
      'Provided Tunnel token is not valid.',
      'The Cloudflare edge rejected the tunnel token: Unauthorized: Invalid tunnel secret',
      'Registered tunnel connection connIndex=0 connection=6108baac-fb4a-4655-9eb3-51ca2c0cfa24 event=0 ip=198.41.192.7 location=ams08 protocol=quic',
    ];
    for (const line of lines) expect(redactSecrets(line)).toBe(line);
  });
});

describe('parseReadyResponse', () => {
  it('reads the ready body cloudflared serves', () => {
    expect(
      parseReadyResponse(200, '{"status":200,"readyConnections":4,"connectorId":"abc"}'),
    ).toEqual({ ready: true, status: 200, readyConnections: 4, connectorId: 'abc' });
  });

  it('is not ready on 503 whatever the body says', () => {
    expect(parseReadyResponse(503, '{"status":503,"readyConnections":0}')).toMatchObject({
      ready: false,
      readyConnections: 0,
    });
    expect(parseReadyResponse(503, 'garbage').ready).toBe(false);
  });
});
