import type { LogEntry, TestConnectionInput } from '../../desktop/desktopApi.js';
import type { ConnectionSettings } from '../../settings/settingsSchema.js';
import type { SettingsStore } from '../../settings/settingsStore.js';
import { probeRunningTunnel, testTunnelConnectivity } from '../../tunnels/connectivityCheck.js';
import type { TunnelDriver } from '../../tunnels/driver.js';
import type { TunnelTestResult } from '../../tunnels/status.js';
import type { LogBook } from '../logBook.js';
import { savedConnection, type ConnectionDrivers } from './connectionDrivers.js';
import type { RunningTunnels } from './runningTunnels.js';

export interface ConnectionTestingDeps {
  settings: SettingsStore;
  drivers: ConnectionDrivers;
  tunnels: RunningTunnels;
  logs: LogBook;
  /** Seed 000 P13-2.4 waits up to 30 s for a test connection. */
  timeoutMs: number;
}

/** Why a relay connection's test did not start the tunnel: an agent elsewhere serves the instance. */
const SERVED_ELSEWHERE =
  'This tunnel runs in another Cloud Connect process or on another machine, so it was not started again for the test (a second start would take the tunnel over)';

/**
 * The connectivity test (seed 000 P13-2.4), which never interrupts a running tunnel: a draft
 * token runs as a cloudflared of its own beside whatever runs; a connection running here is
 * probed where it stands; a relay connection whose instance the relay sees served by an
 * agent elsewhere (another process, e.g. `cloud-connect connect`, or machine) is reported as
 * the relay sees it, since registering it again would take the peer away from that agent;
 * only a connection that runs nowhere is started for the test and stopped after it.
 */
export class ConnectionTesting {
  constructor(private readonly deps: ConnectionTestingDeps) {}

  async test(input: TestConnectionInput): Promise<TunnelTestResult> {
    const { tunnels, logs } = this.deps;
    if (!('id' in input)) {
      return this.testCandidate(
        this.deps.drivers.cloudflared(input.token),
        'a Cloudflare token',
        null,
      );
    }
    const id = input.id;
    // Under the lock only the choice and a candidate's run: a live probe starts and stops
    // nothing, so a Disconnect clicked meanwhile need not wait for it.
    const outcome = await tunnels.locked(id, async () => {
      const c = savedConnection(this.deps.settings, id);
      const supervisor = tunnels.supervisorOf(id);
      if (supervisor?.isActive) return { live: true as const, c, supervisor };
      return { live: false as const, result: await this.testNotRunning(c) };
    });
    if (!outcome.live) return outcome.result;
    const { c, supervisor } = outcome;
    logs.add('info', `Testing "${c.name}" where it runs (it is not restarted)…`, id);
    const result = await probeRunningTunnel({ tunnel: supervisor, timeoutMs: this.deps.timeoutMs });
    this.logResult(result, id);
    return result;
  }

  /** Test a saved connection this app does not run; the caller holds its lock. */
  private async testNotRunning(c: ConnectionSettings): Promise<TunnelTestResult> {
    if (c.kind === 'relay') {
      const elsewhere = await this.testServedElsewhere(c);
      if (elsewhere) {
        this.logResult(elsewhere, c.id);
        return elsewhere;
      }
    }
    const { driver } = await this.deps.drivers.driverFor(c);
    return this.testCandidate(driver, `"${c.name}"`, c.id);
  }

  /**
   * A relay connection's instance served by an agent this app does not run, as the relay
   * sees it; null when no agent is alive for it (or the relay cannot say: then the test's own
   * start meets and reports the problem).
   */
  private async testServedElsewhere(c: ConnectionSettings): Promise<TunnelTestResult | null> {
    const s = await (await this.deps.drivers.instanceApiFor(c)).status().catch(() => null);
    if (!s) return null;
    // Relays that predate `agent` only say `connected`, which implies an agent alive.
    const alive = s.agent ? s.agent.alive : s.tunnel_status === 'connected';
    if (!alive) return null;
    const relaySays = s.data_path?.detail ?? (s.tunnel_status === 'connected' ? 'connected' : '');
    const hostname = s.domains.subdomain.domain;
    if (s.tunnel_status === 'connected') {
      return {
        success: true,
        error: null,
        error_code: null,
        latency_ms: null,
        hostname,
        tested: 'elsewhere',
        note: `${SERVED_ELSEWHERE}. The relay sees it connected${relaySays && relaySays !== 'connected' ? `: ${relaySays}` : ''}.`,
      };
    }
    return {
      success: false,
      error: `${SERVED_ELSEWHERE}. Its agent is alive, but the relay reports: ${relaySays || 'not connected'}.`,
      error_code: s.data_path?.state === 'down' ? 'NO_HANDSHAKE' : 'HEALTH_CHECK_FAILED',
      latency_ms: null,
      hostname,
      tested: 'elsewhere',
    };
  }

  /** Start `candidate` for the test and stop it after (nothing of it runs before or after). */
  private async testCandidate(
    candidate: TunnelDriver,
    label: string,
    connectionId: string | null,
  ): Promise<TunnelTestResult> {
    const { logs } = this.deps;
    logs.add('info', `Testing ${label}…`, connectionId);
    const onLog = (line: { level: LogEntry['level']; message: string; at: Date }) =>
      logs.add(line.level, `[test] ${line.message}`, connectionId, line.at);
    candidate.events.on('log', onLog);
    try {
      const result = await testTunnelConnectivity({ candidate, timeoutMs: this.deps.timeoutMs });
      this.logResult(result, connectionId);
      return result;
    } finally {
      candidate.events.off('log', onLog);
    }
  }

  private logResult(result: TunnelTestResult, connectionId: string | null): void {
    this.deps.logs.add(
      result.success ? 'info' : 'warn',
      result.success
        ? `Test passed${result.latency_ms !== null ? ` in ${result.latency_ms} ms` : ''}${result.hostname ? ` (${result.hostname})` : ''}${result.note ? `. ${result.note}` : ''}`
        : `Test failed: ${result.error}`,
      connectionId,
    );
  }
}
