import { Resolver } from 'node:dns/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startDnsServer, type TestDnsServer } from './dnsServer.js';

let dns: TestDnsServer;
let resolver: Resolver;
/** Only for the no-answer case, so that test waits 200 ms rather than the patient timeout. */
let impatient: Resolver;
beforeAll(async () => {
  dns = await startDnsServer();
  // Patient enough for a loaded CI machine; answers come back in about a millisecond.
  resolver = new Resolver({ timeout: 2000, tries: 2 });
  resolver.setServers([dns.address]);
  impatient = new Resolver({ timeout: 200, tries: 1 });
  impatient.setServers([dns.address]);
});
afterAll(async () => {
  await dns.close();
});
beforeEach(() => {
  dns.simulate(null);
});

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (e: NodeJS.ErrnoException) => e.code,
  );

describe('startDnsServer', () => {
  it('listens on a loopback port given as DNS_SERVERS host:port', () => {
    expect(dns.host).toBe('127.0.0.1');
    expect(dns.port).toBeGreaterThan(0);
    expect(dns.address).toBe(`127.0.0.1:${dns.port}`);
  });

  it('answers CNAME, A and TXT records from its table, case-insensitively', async () => {
    dns.set('Share.Example.com.', 'CNAME', 'inst_abc.tunnel.cloud.test.');
    dns.set('host.example.com', 'A', ['192.0.2.1', '192.0.2.2']);
    dns.set('host.example.com', 'TXT', 'v=spf1 -all');
    expect(await resolver.resolveCname('share.example.com')).toEqual([
      'inst_abc.tunnel.cloud.test',
    ]);
    expect((await resolver.resolve4('HOST.example.com')).sort()).toEqual([
      '192.0.2.1',
      '192.0.2.2',
    ]);
    expect(await resolver.resolveTxt('host.example.com')).toEqual([['v=spf1 -all']]);
    expect(dns.queries).toContainEqual({ name: 'share.example.com', type: 'CNAME' });
  });

  it('answers NXDOMAIN for an unknown name and no data for a name without the type', async () => {
    dns.set('only-a.example.com', 'A', '192.0.2.9');
    expect(await codeOf(resolver.resolveCname('nobody.example.com'))).toBe('ENOTFOUND');
    expect(await codeOf(resolver.resolveCname('only-a.example.com'))).toBe('ENODATA');
  });

  it('replaces records on set and forgets a name on remove', async () => {
    dns.set('moving.example.com', 'CNAME', 'old.target.test');
    dns.set('moving.example.com', 'CNAME', 'new.target.test');
    expect(await resolver.resolveCname('moving.example.com')).toEqual(['new.target.test']);
    dns.remove('moving.example.com');
    expect(await codeOf(resolver.resolveCname('moving.example.com'))).toBe('ENOTFOUND');
  });

  it('simulates SERVFAIL and a server that never answers, for one name or all', async () => {
    dns.set('a.example.com', 'CNAME', 'x.test');
    dns.set('b.example.com', 'CNAME', 'y.test');
    dns.simulate('servfail', 'a.example.com');
    expect(await codeOf(resolver.resolveCname('a.example.com'))).toBe('ESERVFAIL');
    expect(await resolver.resolveCname('b.example.com')).toEqual(['y.test']);
    dns.simulate('timeout');
    expect(await codeOf(impatient.resolveCname('b.example.com'))).toBe('ETIMEOUT');
    dns.simulate(null);
    dns.simulate(null, 'a.example.com');
    expect(await resolver.resolveCname('a.example.com')).toEqual(['x.test']);
  });
});
