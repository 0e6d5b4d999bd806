import { describe, expect, it } from 'vitest';
import { hostnamesFromConfig, parseFields, parseLogLine } from './logLines.js';

// The lines below are the ones FACTS.md quotes, with the timestamp cloudflared puts in front.
const T = '2026-11-22T04:21:59Z';

describe('parseLogLine', () => {
  it('reads a registered connection with its index and location', () => {
    const line = `${T} INF Registered tunnel connection connIndex=3 connection=9c37b2e1-5c2f-4b55-8f0f-2a1b9d3e7c11 event=0 ip=198.41.200.113 location=man03 protocol=quic`;
    const parsed = parseLogLine(line);
    expect(parsed.level).toBe('info');
    expect(parsed.message).toBe('Registered tunnel connection');
    expect(parsed.fields).toMatchObject({ connIndex: '3', ip: '198.41.200.113', protocol: 'quic' });
    expect(parsed.event).toEqual({ kind: 'registered', connIndex: 3, location: 'man03' });
    expect(parsed.text).toBe(line.slice(`${T} INF `.length));
  });

  it('reads the hostnames of the configuration line, quoted as zerolog quotes them', () => {
    const line = `${T} INF Updated to new configuration config="{\\"ingress\\":[{\\"hostname\\":\\"app.example.com\\", \\"service\\":\\"http://localhost:8080\\"}, {\\"service\\":\\"http_status:404\\"}], \\"warp-routing\\":{\\"enabled\\":false}}" version=7`;
    expect(parseLogLine(line).event).toEqual({
      kind: 'configuration',
      hostnames: ['app.example.com'],
      version: 7,
    });
  });

  it('keeps every hostname of a multi-hostname ingress in order, without duplicates', () => {
    const config = JSON.stringify({
      ingress: [
        { hostname: 'a.example.com', service: 'http://localhost:1' },
        { hostname: 'b.example.com', service: 'http://localhost:2' },
        { hostname: 'a.example.com', path: '/x', service: 'http://localhost:3' },
        { service: 'http_status:404' },
      ],
    });
    const line = `${T} INF Updated to new configuration config=${JSON.stringify(config)} version=2`;
    expect(parseLogLine(line).event).toMatchObject({
      hostnames: ['a.example.com', 'b.example.com'],
    });
  });

  it('recognises the malformed-token message printed without time or level', () => {
    const parsed = parseLogLine('Provided Tunnel token is not valid.');
    expect(parsed.event).toEqual({ kind: 'invalidToken' });
    expect(parsed.level).toBe('error');
  });

  it.each(['Unauthorized: Invalid tunnel secret', 'Unauthorized: Failed to get tunnel'])(
    'turns an edge refusal (%s) into edgeRejected with the reason',
    (reason) => {
      const line = `${T} ERR Register tunnel error from server side connIndex=0 error="${reason}" event=0 ip=198.41.192.7`;
      const parsed = parseLogLine(line);
      expect(parsed.level).toBe('error');
      expect(parsed.event).toEqual({ kind: 'edgeRejected', reason });
    },
  );

  it('does not call a server-side error that is not Unauthorized a token rejection', () => {
    const line = `${T} ERR Register tunnel error from server side connIndex=0 error="context deadline exceeded" event=0 ip=198.41.192.7`;
    expect(parseLogLine(line).event).toEqual({
      kind: 'edgeUnreachable',
      reason: 'context deadline exceeded',
    });
  });

  it.each([
    [`${T} INF Unregistered tunnel connection connIndex=2 event=0 ip=198.41.192.37`, 2],
    [`${T} ERR Connection terminated connIndex=1`, 1],
    [
      `${T} ERR Serve tunnel error error="timeout: no recent network activity" connIndex=0 event=0 ip=198.41.192.7`,
      0,
    ],
  ])('reads a lost connection from %s', (line, connIndex) => {
    expect(parseLogLine(line).event).toMatchObject({ kind: 'connectionLost', connIndex });
  });

  it('reads the give-up line and a dial failure', () => {
    expect(parseLogLine(`${T} ERR no more connections active and exiting`).event).toEqual({
      kind: 'exiting',
    });
    const dial = `${T} ERR Failed to dial a quic connection error="failed to dial to edge with quic: timeout: no recent network activity" connIndex=2 event=0 ip=198.41.200.73`;
    expect(parseLogLine(dial).event).toEqual({
      kind: 'edgeUnreachable',
      reason: 'failed to dial to edge with quic: timeout: no recent network activity',
    });
  });

  it('maps levels and leaves unknown lines as other', () => {
    const parsed = parseLogLine(`${T} WRN Retrying connection in up to 1m4s connIndex=0`);
    expect(parsed.level).toBe('warn');
    expect(parsed.message).toBe('Retrying connection in up to 1m4s');
    expect(parsed.event).toEqual({ kind: 'other' });
    expect(parseLogLine(`${T} DBG something`).level).toBe('debug');
  });

  it('reads the JSON log format as well', () => {
    const line = JSON.stringify({
      level: 'info',
      time: T,
      connIndex: 1,
      location: 'fra12',
      message: 'Registered tunnel connection',
    });
    expect(parseLogLine(line).event).toEqual({
      kind: 'registered',
      connIndex: 1,
      location: 'fra12',
    });
  });
});

describe('parseFields', () => {
  it('splits the message from Go-quoted fields', () => {
    expect(parseFields('Something happened a=1 b="two words" c="with \\"quotes\\""')).toEqual({
      message: 'Something happened',
      fields: { a: '1', b: 'two words', c: 'with "quotes"' },
    });
  });

  it('returns the whole text as the message when there are no fields', () => {
    expect(parseFields('GOOS: linux, GOVersion: go1.24.4, GoArch: amd64')).toEqual({
      message: 'GOOS: linux, GOVersion: go1.24.4, GoArch: amd64',
      fields: {},
    });
  });
});

describe('hostnamesFromConfig', () => {
  it('returns no hostname for a catch-all-only ingress', () => {
    expect(hostnamesFromConfig('{"ingress":[{"service":"http_status:404"}]}')).toEqual([]);
  });

  it('still finds hostnames in a config that is not valid JSON', () => {
    expect(hostnamesFromConfig('{"ingress":[{"hostname":"x.example.com", …')).toEqual([
      'x.example.com',
    ]);
  });
});
