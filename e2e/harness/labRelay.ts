import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  ApiClient,
  latestMailToken,
  registration,
  SecretLedger,
} from '@cloud-connect/relay-server/testing';
import type { LabProcess, NetLab } from './netlab.js';
import { REPO_ROOT, TSX_NODE_ARGS } from './relayProcess.js';

// Suites and benches that start lab processes import it alongside LabRelay.
export { TSX_NODE_ARGS };

export interface LabRelayOptions {
  /** Extra environment (WG_MODE, WG_INTERFACE, WG_ENDPOINT, …). */
  env?: Record<string, string>;
  /** Port inside the host's namespace (namespaces do not share ports; a restart keeps it). */
  port?: number;
}

/**
 * The environment of a relay whose WireGuard server runs wireguard-go inside its lab host, on
 * the lab's server interface and port 51820: the set-up the namespace suites and benches share.
 */
export function wireguardGoEnv(lab: NetLab, host: string): Record<string, string> {
  return {
    WG_MODE: 'wireguard-go',
    WG_INTERFACE: lab.ifName('s'),
    WG_LISTEN_PORT: '51820',
    WG_ENDPOINT: `${lab.ip(host)}:51820`,
  };
}

/**
 * The real relay-server (`relay-server/src/server.ts`) as a child process inside a lab host,
 * listening on 0.0.0.0 so every host (and the test process) reaches it. `restart()` starts it
 * again on the same data dir and port, as an operator's restart would.
 */
export class LabRelay {
  proc: LabProcess | null = null;
  readonly ledger = new SecretLedger();
  readonly api: ApiClient;
  private readonly outputs: string[] = [];

  private constructor(
    readonly lab: NetLab,
    readonly host: string,
    readonly dataDir: string,
    readonly port: number,
    private readonly env: Record<string, string>,
  ) {
    this.api = new ApiClient(`${this.url}/v1`, this.ledger);
  }

  get url(): string {
    return `http://${this.lab.ip(this.host)}:${this.port}`;
  }

  /** The WireGuard interface the relay serves (WG_INTERFACE; a fresh name per wireguardGoEnv). */
  get wgInterface(): string {
    const name = this.env.WG_INTERFACE;
    if (!name) throw new Error('this lab relay runs without WG_INTERFACE');
    return name;
  }

  static async start(lab: NetLab, host: string, options: LabRelayOptions = {}): Promise<LabRelay> {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'cc-labrelay-'));
    const relay = new LabRelay(lab, host, dataDir, options.port ?? 8787, options.env ?? {});
    await relay.launch();
    return relay;
  }

  private async launch(): Promise<void> {
    const proc = this.lab.spawn(
      this.host,
      process.execPath,
      [...TSX_NODE_ARGS, path.join(REPO_ROOT, 'relay-server/src/server.ts')],
      {
        cwd: REPO_ROOT,
        label: `${this.host}:relay`,
        env: {
          RELAY_HOST: '0.0.0.0',
          RELAY_PORT: String(this.port),
          RELAY_DATA_DIR: this.dataDir,
          RELAY_BASE_DOMAIN: 'cloud.test',
          RELAY_PUBLIC_URL: `http://${this.lab.ip(this.host)}:${this.port}`,
          LOG_LEVEL: 'debug',
          ...this.env,
        },
      },
    );
    this.proc = proc;
    await proc.waitForLine((l) => l.startsWith('Cloud Connect relay on'), 60_000);
  }

  /** Everything every run of the relay printed (pino JSON logs and console lines). */
  output(): string {
    return [...this.outputs, this.proc?.output() ?? ''].join('\n');
  }

  /** SIGTERM and wait: the relay closes its WireGuard interface on the way out. */
  async stop(): Promise<void> {
    if (!this.proc) return;
    await this.proc.stop(10_000);
    this.outputs.push(this.proc.output());
    this.proc = null;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  /** Stop and remove the data dir. */
  async close(): Promise<void> {
    await this.stop();
    await rm(this.dataDir, { recursive: true, force: true });
  }

  /** Register `email` and follow the link in its verification mail (not signed in). */
  async verifiedUser(name: string, email: string, password: string): Promise<void> {
    this.ledger.add(password);
    const reg = await this.api.post('/auth/register', registration(name, email, password));
    if (reg.status !== 201) throw new Error(`register: ${reg.status} ${reg.text}`);
    const verifyToken = await latestMailToken(this.dataDir, email, 'verify-email');
    this.ledger.add(verifyToken);
    const v = await this.api.post('/auth/verify-email', { token: verifyToken });
    if (v.status !== 200) throw new Error(`verify: ${v.status} ${v.text}`);
  }

  /** A verified, signed-in user with one instance; returns its instance token too. */
  async userWithInstance(subdomain: string) {
    const email = `${subdomain}-${Date.now()}@example.test`;
    const password = `pw-${Math.random().toString(36).slice(2)}-long`;
    await this.verifiedUser('Lab User', email, password);
    const login = await this.api.post('/auth/login', { email, password });
    if (login.status !== 200) throw new Error(`login: ${login.status} ${login.text}`);
    const accessToken = login.body.access_token as string;
    const created = await this.api.post(
      '/instances',
      { name: `Lab ${subdomain}`, subdomain },
      { token: accessToken },
    );
    if (created.status !== 201)
      throw new Error(`create instance: ${created.status} ${created.text}`);
    return {
      email,
      password,
      accessToken,
      instanceId: created.body.instance.id as string,
      tunnelIp: created.body.instance.tunnel_ip as string,
      instanceToken: created.body.credentials.instance_token as string,
    };
  }
}
