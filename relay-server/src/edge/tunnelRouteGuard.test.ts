import { describe, expect, it } from 'vitest';
import { WireGuardError } from '@cloud-connect/agent-core/wireguard';
import { kernelRouteGuard, type ProgramResult, type RunProgram } from './tunnelRouteGuard.js';

/**
 * The kernel route guard's reading of `ip` and `wg` answers. The answers below are what
 * iproute2 6.1 and wireguard-go print (captured on this machine; a wireguard-go interface is
 * a `tun` link that `wg show interfaces` lists). The real thing, in namespaces, is
 * e2e/edgeRouteGuard.test.ts.
 */

const LINKS = JSON.stringify([
  { ifname: 'lo', flags: ['LOOPBACK', 'UP', 'LOWER_UP'], link_type: 'loopback' },
  { ifname: 'eth0', flags: ['BROADCAST', 'UP'], link_type: 'ether' },
  {
    ifname: 'wg0',
    flags: ['POINTOPOINT', 'UP'],
    link_type: 'none',
    linkinfo: { info_kind: 'wireguard' },
  },
  {
    ifname: 'wgo0',
    flags: ['POINTOPOINT', 'UP'],
    link_type: 'none',
    linkinfo: { info_kind: 'tun' },
  },
  {
    ifname: 'tap9',
    flags: ['POINTOPOINT', 'UP'],
    link_type: 'none',
    linkinfo: { info_kind: 'tun' },
  },
]);

/** Route answers by address; a string is the RTNETLINK error for it. */
type Routes = Record<string, { dev: string; gateway?: string; type?: string } | string>;

function fakeIp(routes: Routes, wg: ProgramResult | Error = ok('wgo0\n')) {
  const calls: { file: string; args: readonly string[]; input: string }[] = [];
  const run: RunProgram = async (file, args, input) => {
    calls.push({ file, args, input });
    if (file === 'wg') {
      if (wg instanceof Error) throw wg;
      return wg;
    }
    if (args.includes('link')) return ok(LINKS);
    let stdout = '';
    let stderr = '';
    input
      .split('\n')
      .filter(Boolean)
      .forEach((line, i) => {
        const ip = line.replace('route get ', '');
        const r = routes[ip];
        if (typeof r === 'string' || r === undefined) {
          stderr += `RTNETLINK answers: ${r ?? 'Network is unreachable'}\nCommand failed -:${i + 1}\n`;
        } else stdout += `${JSON.stringify([{ dst: ip, ...r, flags: [] }])}\n`;
      });
    return { stdout, stderr, exitCode: stderr ? 1 : 0 };
  };
  return { run, calls };
}

function ok(stdout: string): ProgramResult {
  return { stdout, stderr: '', exitCode: 0 };
}

describe('kernelRouteGuard', () => {
  it('allows loopback, local addresses, kernel WireGuard and a wireguard-go tun; refuses a LAN route, the default route and no route', async () => {
    const { run, calls } = fakeIp({
      '127.9.0.2': { dev: 'lo', type: 'local' },
      '10.1.0.2': { dev: 'wg0' },
      '10.2.0.2': { dev: 'wgo0' },
      '10.3.0.2': { dev: 'eth0', gateway: '192.168.1.1' },
      '10.4.0.2': { dev: 'eth0' },
      '10.5.0.2': 'No route to host',
    });
    const v = await kernelRouteGuard({ run }).check([
      '127.9.0.2',
      '10.1.0.2',
      '10.2.0.2',
      '10.3.0.2',
      '10.4.0.2',
      '10.5.0.2',
    ]);
    expect(v.get('127.9.0.2')).toMatchObject({ safe: true, kind: 'loopback', dev: 'lo' });
    expect(v.get('10.1.0.2')).toMatchObject({ safe: true, kind: 'wireguard', dev: 'wg0' });
    expect(v.get('10.2.0.2')).toMatchObject({ safe: true, kind: 'wireguard', dev: 'wgo0' });
    expect(v.get('10.3.0.2')).toMatchObject({ safe: false, route: 'dev eth0 via 192.168.1.1' });
    expect(v.get('10.4.0.2')).toMatchObject({ safe: false, route: 'dev eth0' });
    expect(v.get('10.5.0.2')).toMatchObject({ safe: false, route: 'no route (No route to host)' });
    // One ip process for all the addresses, one for the links, one wg.
    expect(calls.map((c) => c.file)).toEqual(['ip', 'ip', 'wg']);
  });

  it('refuses a tun device that wg does not list, and says so when wg cannot be asked', async () => {
    const routes: Routes = { '10.6.0.2': { dev: 'tap9' } };
    const listed = await kernelRouteGuard({ run: fakeIp(routes).run }).check(['10.6.0.2']);
    expect(listed.get('10.6.0.2')).toMatchObject({ safe: false, route: 'dev tap9' });
    const missing = new WireGuardError('BINARY_MISSING', 'wg is not installed or not on PATH');
    const noWg = await kernelRouteGuard({ run: fakeIp(routes, missing).run }).check(['10.6.0.2']);
    expect(noWg.get('10.6.0.2')).toMatchObject({ safe: false });
    expect(noWg.get('10.6.0.2')?.safe === false && noWg.get('10.6.0.2')).toMatchObject({
      why: expect.stringMatching(/tun device.*wg is not installed/),
    });
  });

  it('tells a tun device wg does not list from one wg could not be asked about', async () => {
    const routes: Routes = { '10.6.0.2': { dev: 'tap9' } };
    // wg answered (its list ends with a newline): tap9 is simply not WireGuard.
    const listed = await kernelRouteGuard({ run: fakeIp(routes).run }).check(['10.6.0.2']);
    expect(listed.get('10.6.0.2')).toMatchObject({
      safe: false,
      why: 'tap9 is neither WireGuard nor loopback',
    });
    // wg ran and failed: whether tap9 is WireGuard is unknown, and the reason is wg's.
    const denied = {
      stdout: '',
      stderr: 'Unable to list interfaces: Permission denied\n',
      exitCode: 1,
    };
    const failed = await kernelRouteGuard({ run: fakeIp(routes, denied).run }).check(['10.6.0.2']);
    expect(failed.get('10.6.0.2')).toMatchObject({
      safe: false,
      why: expect.stringMatching(/could not be checked: wg show interfaces failed: Unable to list/),
    });
  });

  it("trusts the relay's own interface without asking wg", async () => {
    const { run, calls } = fakeIp({ '10.7.0.2': { dev: 'tap9' } });
    const v = await kernelRouteGuard({ run, trustedInterfaces: ['tap9'] }).check(['10.7.0.2']);
    expect(v.get('10.7.0.2')).toMatchObject({ safe: true, kind: 'wireguard' });
    expect(calls.some((c) => c.file === 'wg')).toBe(false);
  });

  it('refuses all but 127/8 (loopback by definition), with the reason, when ip is not installed', async () => {
    const run: RunProgram = async () => {
      throw new WireGuardError(
        'BINARY_MISSING',
        'ip is not installed or not on PATH (Debian/Ubuntu: apt install iproute2)',
      );
    };
    const v = await kernelRouteGuard({ run }).check(['127.0.0.2', '10.8.0.2', '192.168.1.9']);
    expect(v.get('127.0.0.2')).toMatchObject({ safe: true, kind: 'loopback' });
    for (const ip of ['10.8.0.2', '192.168.1.9']) {
      expect(v.get(ip)).toMatchObject({ safe: false, why: expect.stringMatching(/iproute2/) });
    }
  });

  it('never passes anything but an IPv4 address to ip -batch (no injected commands)', async () => {
    const { run, calls } = fakeIp({ '10.9.0.2': { dev: 'wg0' } });
    const v = await kernelRouteGuard({ run }).check([
      '10.9.0.2',
      '10.9.0.3\nlink set lo down',
      'wg0',
      '',
    ]);
    expect(v.get('10.9.0.2')).toMatchObject({ safe: true });
    expect(v.get('10.9.0.3\nlink set lo down')).toMatchObject({
      safe: false,
      why: 'not an IPv4 address',
    });
    expect(v.get('wg0')).toMatchObject({ safe: false });
    expect(calls[0]?.input).toBe('route get 10.9.0.2\n');
  });

  it('asks the real kernel: a 127.x address is loopback here', async () => {
    const v = await kernelRouteGuard().check(['127.88.0.2']);
    expect(v.get('127.88.0.2')).toMatchObject({ safe: true, kind: 'loopback', dev: 'lo' });
  });
});
