import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  WireGuardError,
  type RunCommand,
  type StartDaemon,
  type WireGuardDaemon,
} from '@cloud-connect/agent-core/wireguard';
import { manualClock } from '@cloud-connect/agent-core/testing';
import { commandFailure } from './commandRunner.js';
import { InterfaceServer } from './interfaceServer.js';

const logger = pino({ level: 'silent' });

/**
 * A runner for the kernel path, which this machine cannot run (no wireguard module): it records
 * every command and answers like iproute2/wg/iptables would, from a tiny model of the state.
 */
function recordingRunner(overrides: Record<string, string> = {}) {
  const calls: string[] = [];
  const peers = new Map<string, string>();
  let rule = false;
  const run: RunCommand = async (file, args) => {
    const line = `${file} ${args.join(' ')}`;
    calls.push(line);
    for (const [prefix, stderr] of Object.entries(overrides)) {
      if (line.startsWith(prefix)) throw commandFailure(file, args, { stderr, exitCode: 2 });
    }
    if (file === 'iptables' && args.includes('-C')) {
      if (!rule) throw commandFailure(file, args, { stderr: 'iptables: Bad rule', exitCode: 1 });
    }
    if (file === 'iptables' && args.includes('-I')) rule = true;
    if (file === 'iptables' && args.includes('-D')) rule = false;
    if (file === 'wg' && args[0] === 'set' && args[2] === 'peer') {
      if (args[4] === 'remove') peers.delete(args[3] as string);
      else peers.set(args[3] as string, args[5] as string);
    }
    if (file === 'wg' && args[2] === 'dump') {
      const lines = [`priv\tpub\t51820\toff`];
      for (const [k, ips] of peers) lines.push(`${k}\t(none)\t(none)\t${ips}\t0\t0\t0\toff`);
      return { stdout: lines.join('\n'), stderr: '' };
    }
    return { stdout: '', stderr: '' };
  };
  return { run, calls, peers, hasRule: () => rule };
}

const kernelOptions = (run: RunCommand) => ({
  mode: 'kernel' as const,
  interfaceName: 'ccwg-test',
  listenPort: 51820,
  privateKeyFile: '/data/wireguard.key',
  publicKey: 'server-public-key',
  address: '10.100.0.1/16',
  logger,
  run,
});

describe('InterfaceServer in kernel mode', () => {
  it('creates the interface, gives it the key by file, the first pool address, and isolation', async () => {
    const r = recordingRunner();
    const server = await InterfaceServer.start(kernelOptions(r.run));
    expect(r.calls.slice(0, 4)).toEqual([
      'ip link add ccwg-test type wireguard',
      'wg set ccwg-test listen-port 51820 private-key /data/wireguard.key',
      'ip address replace 10.100.0.1/16 dev ccwg-test',
      'ip link set ccwg-test up',
    ]);
    expect(r.hasRule()).toBe(true);
    expect(r.calls).toContain(
      'iptables -w 5 -I FORWARD -i ccwg-test -o ccwg-test -m comment --comment cloud-connect: no peer-to-peer traffic -j DROP',
    );
    await server.close();
    expect(r.hasRule()).toBe(false);
    expect(r.calls.at(-1)).toBe('ip link del ccwg-test');
  });

  it('reconciles peers: adds missing, removes stale, fixes allowed-ips, keeps the rest', async () => {
    const r = recordingRunner();
    const server = await InterfaceServer.start(kernelOptions(r.run));
    await server.addPeer({ publicKey: 'keep', tunnelIp: '10.100.0.2' });
    await server.addPeer({ publicKey: 'stale', tunnelIp: '10.100.0.3' });
    await server.addPeer({ publicKey: 'moved', tunnelIp: '10.100.0.4' });
    r.calls.length = 0;
    await server.reconcile([
      { publicKey: 'keep', tunnelIp: '10.100.0.2' },
      { publicKey: 'moved', tunnelIp: '10.100.0.5' },
      { publicKey: 'new', tunnelIp: '10.100.0.6' },
    ]);
    expect(r.calls).toEqual([
      'wg show ccwg-test dump',
      'wg set ccwg-test peer stale remove',
      'wg set ccwg-test peer moved allowed-ips 10.100.0.5/32',
      'wg set ccwg-test peer new allowed-ips 10.100.0.6/32',
    ]);
    expect([...r.peers.entries()].sort()).toEqual([
      ['keep', '10.100.0.2/32'],
      ['moved', '10.100.0.5/32'],
      ['new', '10.100.0.6/32'],
    ]);
    await server.close();
  });

  it('does not insert the isolation rule twice', async () => {
    const r = recordingRunner();
    const first = await InterfaceServer.start(kernelOptions(r.run));
    const second = await InterfaceServer.start(kernelOptions(r.run));
    expect(r.calls.filter((c) => c.startsWith('iptables -w 5 -I'))).toHaveLength(1);
    await second.close();
    await first.close();
  });

  it('says to load the module or use wireguard-go when the kernel has no WireGuard', async () => {
    const r = recordingRunner({ 'ip link add': 'Error: Unknown device type.' });
    const err = await InterfaceServer.start(kernelOptions(r.run)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WireGuardError);
    expect((err as WireGuardError).code).toBe('BINARY_MISSING');
    expect((err as WireGuardError).message).toMatch(/modprobe wireguard.*WG_MODE=wireguard-go/);
  });

  it('says to run as root or with CAP_NET_ADMIN when creating the interface is not permitted', async () => {
    const r = recordingRunner({ 'ip link add': 'RTNETLINK answers: Operation not permitted' });
    const err = (await InterfaceServer.start(kernelOptions(r.run)).catch(
      (e: unknown) => e,
    )) as WireGuardError;
    expect(err.code).toBe('PERMISSION_DENIED');
    expect(err.message).toMatch(/CAP_NET_ADMIN/);
  });
});

describe('InterfaceServer in wireguard-go mode, with programs missing', () => {
  const savedPath = process.env.PATH;
  let dir: string | null = null;
  afterEach(async () => {
    process.env.PATH = savedPath;
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = null;
  });

  const goOptions = {
    ...kernelOptions(undefined as unknown as RunCommand),
    mode: 'wireguard-go' as const,
    run: undefined,
    interfaceName: `ccmiss${process.pid % 100000}`,
  };

  it('names wireguard-tools when wg is not installed', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'cc-path-'));
    process.env.PATH = dir;
    const err = (await InterfaceServer.start(goOptions).catch((e: unknown) => e)) as WireGuardError;
    expect(err.code).toBe('BINARY_MISSING');
    expect(err.message).toMatch(/^wg is not installed.*apt install wireguard-tools/);
  });

  it('names wireguard-go when only wireguard-go is missing', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'cc-path-'));
    await symlink('/usr/bin/wg', path.join(dir, 'wg'));
    process.env.PATH = dir;
    const err = (await InterfaceServer.start(goOptions).catch((e: unknown) => e)) as WireGuardError;
    expect(err.code).toBe('BINARY_MISSING');
    expect(err.message).toMatch(/^wireguard-go is not installed.*apt install wireguard-go/);
  });
});

/** A wireguard-go stand-in for the start logic: it exits at once with `output`, or runs. */
function fakeDaemon(exitWith: string | null, stopped = { count: 0 }): WireGuardDaemon {
  const exited = Promise.resolve({
    exitCode: exitWith === null ? null : 1,
    signal: null,
    spawnError: null,
  });
  return {
    pid: 4242,
    running: exitWith === null,
    exited: exitWith === null ? new Promise(() => undefined) : exited,
    tail: () => exitWith ?? '',
    stop: async () => {
      stopped.count += 1;
    },
  };
}

describe('InterfaceServer in wireguard-go mode: starting', () => {
  const goOptions = (run: RunCommand, startDaemon: StartDaemon) => ({
    ...kernelOptions(run),
    mode: 'wireguard-go' as const,
    startDaemon,
  });

  it('tries a start again when wireguard-go exits on its own, then comes up', async () => {
    let started = 0;
    let daemonUp = false;
    const r = recordingRunner();
    const run: RunCommand = async (file, args) => {
      // `wg show <if> listen-port` answers only while a daemon runs.
      if (file === 'wg' && args[0] === 'show' && args[2] === 'listen-port' && !daemonUp) {
        throw commandFailure(file, args, {
          stderr: 'Unable to access interface: No such device',
          exitCode: 1,
        });
      }
      return r.run(file, args);
    };
    const startDaemon: StartDaemon = () => {
      started += 1;
      if (started === 1)
        return fakeDaemon('ERROR: Failed to listen on uapi socket: no such file or directory');
      daemonUp = true;
      return fakeDaemon(null);
    };
    const server = await InterfaceServer.start(goOptions(run, startDaemon));
    expect(started).toBe(2);
    expect(r.calls).toContain('wg set ccwg-test listen-port 51820 private-key /data/wireguard.key');
    await server.close();
  });

  it.each([
    ['ERROR: Failed to listen on uapi socket: no such file or directory', 'PROCESS_EXITED', 3],
    ['ERROR: Failed to create TUN device: operation not permitted', 'PERMISSION_DENIED', 1],
  ])(
    'gives up on wireguard-go exiting with "%s" as %s after %i start(s)',
    async (output, code, starts) => {
      const r = recordingRunner({ 'wg show ccwg-test listen-port': 'No such device' });
      let started = 0;
      const exiting: StartDaemon = () => {
        started += 1;
        return fakeDaemon(output);
      };
      await expect(InterfaceServer.start(goOptions(r.run, exiting))).rejects.toMatchObject({
        code,
      });
      expect(started).toBe(starts);
    },
  );

  it('stops a wireguard-go that never opens its control socket before trying again', async () => {
    const r = recordingRunner({ 'wg show ccwg-test listen-port': 'No such device' });
    const daemons: Array<{ count: number }> = [];
    const silent: StartDaemon = () => {
      const stopped = { count: 0 };
      daemons.push(stopped);
      return fakeDaemon(null, stopped);
    };
    const clock = manualClock();
    let outcome: unknown = null;
    const starting = InterfaceServer.start({
      ...goOptions(r.run, silent),
      readyTimeoutMs: 100,
      clock,
      timers: clock,
    }).catch((e: unknown) => (outcome = e));
    // Three waits of 100 ms (polled every 50), 250 and 500 ms apart.
    await clock.tick(150 + 250 + 150 + 500 + 100);
    expect(outcome).toBeNull();
    await clock.tick(50);
    await starting;
    expect(outcome).toMatchObject({ code: 'TIMEOUT' });
    expect(daemons).toHaveLength(3);
    // Every wireguard-go that was started is stopped: none is left behind untracked.
    expect(daemons.every((d) => d.count > 0)).toBe(true);
  });
});
