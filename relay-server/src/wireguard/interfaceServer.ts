import {
  interfaceAnswers,
  parseWgDump,
  startWireGuardGo,
  WireGuardError,
  type RunCommand,
  type StartDaemon,
  type WgDump,
  type WireGuardDaemon,
} from '@cloud-connect/agent-core/wireguard';
import { systemClock, systemTimers, type Clock, type TimerHandle, type Timers } from '../clock.js';
import type { Logger } from '../logging/logger.js';
import { execaRunner, RELAY_ADVICE } from './commandRunner.js';
import { ensurePeerIsolation, removePeerIsolation } from './peerIsolation.js';
import { reconcilePlan } from './reconcilePlan.js';
import type { Peer, PeerStats, WireGuardServer } from './server.js';

export interface InterfaceServerOptions {
  mode: 'wireguard-go' | 'kernel';
  interfaceName: string;
  listenPort: number;
  /** File holding the server's base64 private key (mode 0600); `wg` reads it, argv never has it. */
  privateKeyFile: string;
  publicKey: string;
  /** The server's tunnel address with the pool's prefix, e.g. `10.100.0.1/16`. */
  address: string;
  logger: Logger;
  run?: RunCommand;
  startDaemon?: StartDaemon;
  /** Drop peer-to-peer forwarding with iptables (default true). */
  isolation?: boolean;
  /** How long to wait for wireguard-go's control socket. */
  readyTimeoutMs?: number;
  /** For the start-up wait, the restart backoff and the stats cache; the system's by default. */
  clock?: Clock;
  timers?: Timers;
}

/**
 * The relay's WireGuard interface, run by wireguard-go or the kernel, with peers managed by
 * `wg set` and isolated by an iptables rule. It remembers the peers it was told about, so an
 * interface that had to be re-created (wireguard-go crashed) comes back with the same peers.
 */
export class InterfaceServer implements WireGuardServer {
  readonly mode: 'wireguard-go' | 'kernel';
  readonly publicKey: string;
  private readonly ifName: string;
  private readonly run: RunCommand;
  private readonly clock: Clock;
  private readonly timers: Timers;
  private readonly logger: Logger;
  private daemon: WireGuardDaemon | null = null;
  private readonly desired = new Map<string, Peer>();
  private up = false;
  private kernelLinkCreated = false;
  private closing = false;
  private lastFailure: string | null = null;
  private restartTimer: TimerHandle | null = null;
  private restartDelayMs = 1000;
  private queue: Promise<unknown> = Promise.resolve();
  private statsCache: { at: number; value: Promise<PeerStats[]> } | null = null;

  private constructor(private readonly options: InterfaceServerOptions) {
    this.mode = options.mode;
    this.publicKey = options.publicKey;
    this.ifName = options.interfaceName;
    this.run = options.run ?? execaRunner;
    this.clock = options.clock ?? systemClock;
    this.timers = options.timers ?? systemTimers;
    this.logger = options.logger.child({ component: 'wireguard', wg_interface: this.ifName });
  }

  /** Create and configure the interface; rejects with a WireGuardError that says what to fix. */
  static async start(options: InterfaceServerOptions): Promise<InterfaceServer> {
    const server = new InterfaceServer(options);
    try {
      await server.bringUp();
    } catch (e) {
      await server.close().catch(() => {});
      throw e;
    }
    return server;
  }

  /** Serialise every change to the interface: `wg set` calls must not interleave. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => {});
    return next;
  }

  private wg(...args: string[]) {
    return this.run('wg', args);
  }

  private interfaceAnswers(): Promise<boolean> {
    return interfaceAnswers(this.run, this.ifName);
  }

  private async bringUp(): Promise<void> {
    if (this.mode === 'wireguard-go') await this.startWireGuardGo();
    else await this.createKernelInterface();
    const o = this.options;
    await this.wg(
      'set',
      this.ifName,
      'listen-port',
      String(o.listenPort),
      'private-key',
      o.privateKeyFile,
    );
    await this.run('ip', ['address', 'replace', o.address, 'dev', this.ifName]);
    await this.run('ip', ['link', 'set', this.ifName, 'up']);
    if (o.isolation !== false) await ensurePeerIsolation(this.run, this.ifName);
    this.up = true;
    this.lastFailure = null;
    await this.applyDesired();
    this.logger.info(
      { mode: this.mode, listen_port: o.listenPort, address: o.address, peers: this.desired.size },
      'WireGuard interface up',
    );
  }

  /**
   * Start wireguard-go, trying three times: it can exit on its own at start (e.g. it lost a race
   * in the control-socket directory every namespace shares), as a crash after start can.
   */
  private async startWireGuardGo(): Promise<void> {
    const daemon = await startWireGuardGo({
      name: this.ifName,
      run: this.run,
      advice: RELAY_ADVICE,
      // The component logger already names the interface.
      log: (level, line) => this.logger[level](`wireguard-go: ${line}`),
      startDaemon: this.options.startDaemon,
      readyTimeoutMs: this.options.readyTimeoutMs,
      clock: this.clock,
      timers: this.timers,
      attempts: 3,
      onRetry: (e, attempt) =>
        this.logger.warn({ wg_interface: this.ifName, attempt }, `${e.message}; trying again`),
    });
    this.daemon = daemon;
    void daemon.exited.then((info) => this.onDaemonExit(daemon, info));
  }

  private async createKernelInterface(): Promise<void> {
    try {
      await this.run('ip', ['link', 'add', this.ifName, 'type', 'wireguard']);
      this.kernelLinkCreated = true;
    } catch (e) {
      if (!(e instanceof WireGuardError) || e.code !== 'COMMAND_FAILED') throw e;
      if (/exists/i.test(e.message)) {
        // A kernel interface outlives the relay: adopt it, reconcile will fix its peers.
        if (await this.interfaceAnswers()) {
          this.kernelLinkCreated = true;
          return;
        }
        throw new WireGuardError(
          'INTERFACE_IN_USE',
          `${this.ifName} exists and is not a WireGuard interface; set WG_INTERFACE to another name`,
        );
      }
      if (/unknown device type|not supported/i.test(e.message)) {
        throw new WireGuardError(
          'BINARY_MISSING',
          'WG_MODE=kernel needs the wireguard kernel module (modprobe wireguard); without it use WG_MODE=wireguard-go',
        );
      }
      throw e;
    }
  }

  private onDaemonExit(
    daemon: WireGuardDaemon,
    info: { exitCode: number | null; signal: string | null },
  ) {
    if (this.closing || this.daemon !== daemon) return;
    this.up = false;
    this.lastFailure = `wireguard-go exited (${info.signal ?? `exit ${info.exitCode}`}): ${daemon.tail() || 'no output'}`;
    this.logger.error({ exit_code: info.exitCode, signal: info.signal }, this.lastFailure);
    this.scheduleRestart();
  }

  /** Bring a crashed wireguard-go back with the same key, port, address and peers. */
  private scheduleRestart() {
    if (this.closing || this.restartTimer) return;
    const delay = this.restartDelayMs;
    this.restartDelayMs = Math.min(this.restartDelayMs * 2, 30_000);
    this.restartTimer = this.timers.setTimeout(() => {
      this.restartTimer = null;
      void this.serial(async () => {
        if (this.closing) return;
        try {
          await this.bringUp();
          this.restartDelayMs = 1000;
        } catch (e) {
          this.lastFailure = (e as Error).message;
          this.logger.error({ err_code: (e as WireGuardError).code }, this.lastFailure);
          await this.daemon?.stop().catch(() => {});
          this.scheduleRestart();
        }
      });
    }, delay);
  }

  private async dump(): Promise<WgDump> {
    return parseWgDump((await this.wg('show', this.ifName, 'dump')).stdout);
  }

  private async setPeer(peer: Peer) {
    this.statsCache = null;
    await this.wg('set', this.ifName, 'peer', peer.publicKey, 'allowed-ips', `${peer.tunnelIp}/32`);
  }

  private async applyDesired() {
    const plan = reconcilePlan((await this.dump()).peers, [...this.desired.values()]);
    for (const key of plan.remove) await this.wg('set', this.ifName, 'peer', key, 'remove');
    for (const peer of plan.set) await this.setPeer(peer);
    if (plan.set.length || plan.remove.length) {
      this.logger.info(
        { added_or_fixed: plan.set.length, removed: plan.remove.length },
        'WireGuard peers reconciled',
      );
    }
  }

  addPeer(peer: Peer): Promise<void> {
    return this.serial(async () => {
      this.desired.set(peer.publicKey, peer);
      // While wireguard-go is being restarted the peer waits in `desired`; bringUp applies it.
      if (this.up) await this.setPeer(peer);
    });
  }

  removePeer(publicKey: string): Promise<void> {
    return this.serial(async () => {
      this.desired.delete(publicKey);
      this.statsCache = null;
      if (this.up) await this.wg('set', this.ifName, 'peer', publicKey, 'remove');
    });
  }

  reconcile(peers: Peer[]): Promise<void> {
    return this.serial(async () => {
      this.desired.clear();
      for (const p of peers) this.desired.set(p.publicKey, p);
      if (this.up) await this.applyDesired();
    });
  }

  /**
   * Peer stats from `wg show dump`, at most `maxAgeMs` old (1 s by default: the sweep and the
   * metrics ask often; an API answer asks for a fresh reading, since the agent may have shaken
   * hands a moment ago and a cached reading would call its tunnel down).
   */
  async stats({ maxAgeMs = 1000 }: { maxAgeMs?: number } = {}): Promise<PeerStats[] | null> {
    if (!this.up) return [];
    const now = this.clock.now().getTime();
    if (!this.statsCache || now - this.statsCache.at > maxAgeMs) {
      this.statsCache = { at: now, value: this.readStats() };
      this.statsCache.value.catch(() => (this.statsCache = null));
    }
    return this.statsCache.value;
  }

  private async readStats(): Promise<PeerStats[]> {
    return (await this.dump()).peers.map((p) => ({
      publicKey: p.publicKey,
      tunnelIp: (p.allowedIps[0] ?? '').replace(/\/32$/, ''),
      endpoint: p.endpoint,
      latestHandshake: p.latestHandshake,
      rxBytes: p.rxBytes,
      txBytes: p.txBytes,
    }));
  }

  async health(): Promise<{ ok: boolean; detail: string }> {
    if (!this.up) {
      return { ok: false, detail: this.lastFailure ?? `${this.ifName} is not up` };
    }
    try {
      const d = await this.dump();
      return {
        ok: true,
        detail: `${this.mode}: ${this.ifName} listening on UDP ${d.iface?.listenPort ?? '?'} with ${d.peers.length} peer(s)`,
      };
    } catch (e) {
      return { ok: false, detail: (e as Error).message };
    }
  }

  /** Remove the isolation rule and the interface, and stop wireguard-go (SIGTERM, then wait). */
  close(): Promise<void> {
    this.closing = true;
    this.timers.clearTimeout(this.restartTimer);
    this.restartTimer = null;
    return this.serial(async () => {
      const wasUp = this.up;
      this.up = false;
      if (this.options.isolation !== false) {
        await removePeerIsolation(this.run, this.ifName).catch((e: Error) =>
          this.logger.warn({ err: e.message }, 'could not remove the peer isolation rule'),
        );
      }
      if (this.mode === 'wireguard-go') {
        await this.daemon?.stop();
        this.daemon = null;
      } else if (this.kernelLinkCreated) {
        this.kernelLinkCreated = false;
        await this.run('ip', ['link', 'del', this.ifName]).catch((e: Error) =>
          this.logger.warn({ err: e.message }, 'could not delete the WireGuard interface'),
        );
      }
      if (wasUp) this.logger.info('WireGuard interface down');
    });
  }
}
