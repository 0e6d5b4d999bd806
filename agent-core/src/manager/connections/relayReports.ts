import type { InstanceApi } from '../../client/instanceClient.js';
import type { RelayInstanceStatus } from '../../status/statusWords.js';

/** What the relay last told this agent about a relay connection's instance. */
export interface RelayReport {
  publicUrl: string | null;
  relay: RelayInstanceStatus | null;
}

/**
 * What the relay last said per relay connection (its public URL, its status model), for the
 * connection's view. Answers are recorded on their way to the driver (registration, status),
 * and an answer to a question asked before the tunnel last changed state is dropped as stale.
 */
export class RelayReports {
  private readonly reports = new Map<string, RelayReport>();
  /** Bumped on every tunnel state change, so a relay answer from before it is dropped. */
  private readonly epochs = new Map<string, number>();

  /** `changed` hears of every report that now reads differently. */
  constructor(private readonly changed: (id: string) => void) {}

  get(id: string): RelayReport | undefined {
    return this.reports.get(id);
  }

  /**
   * The tunnel's state changed: the relay's last word predates it (e.g. "pending" from before
   * the tunnel came up), so it is blanked until the relay answers again.
   */
  stateChanged(id: string): void {
    this.epochs.set(id, (this.epochs.get(id) ?? 0) + 1);
    const report = this.reports.get(id);
    if (report) this.reports.set(id, { ...report, relay: null });
  }

  forget(id: string): void {
    this.reports.delete(id);
    this.epochs.delete(id);
  }

  /** `api` with what the relay says recorded for connection `id` on the way. */
  recording(id: string, api: InstanceApi): InstanceApi {
    return {
      registerTunnel: async (body) => {
        const res = await api.registerTunnel(body);
        this.note(id, { publicUrl: res.public_url ?? null });
        return res;
      },
      heartbeat: () => api.heartbeat(),
      disconnect: () => api.disconnect(),
      status: async () => {
        const asked = this.epochs.get(id) ?? 0;
        const res = await api.status();
        // An answer to a question asked before the tunnel last changed may already be stale.
        if ((this.epochs.get(id) ?? 0) !== asked) return res;
        this.note(id, {
          publicUrl: res.public_url ?? null,
          relay: { status: res.tunnel_status, agent: res.agent, data_path: res.data_path },
        });
        return res;
      },
    };
  }

  private note(id: string, update: Partial<RelayReport>): void {
    const before = this.reports.get(id) ?? { publicUrl: null, relay: null };
    const after = { ...before, ...update };
    this.reports.set(id, after);
    if (JSON.stringify(after) !== JSON.stringify(before)) this.changed(id);
  }
}
