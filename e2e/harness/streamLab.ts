import { randomBytes } from 'node:crypto';
import { chown } from 'node:fs/promises';
import path from 'node:path';
import { EdgeClient } from './edgeClient.js';
import { spawnLabCli } from './cliProcess.js';
import { LabRelay, wireguardGoEnv } from './labRelay.js';
import { startTestApp } from './labTunnel.js';
import { NetLab, type LabProcess } from './netlab.js';
import type { Teardown } from './teardown.js';

/**
 * The stream transport's namespace lab (issue 11), shared by the stream suites: "cloud" runs the
 * real relay with its built-in edge on port 80; each "home" host runs a test app on
 * localhost:8080 and the real `cloud-connect connect` as an unprivileged user (nobody, no
 * capabilities: no NET_ADMIN, so nothing but the stream transport can work); "internet" is the
 * visitor (`lab.edge`). Everything started goes to the suite's Teardown.
 */

export const BASE_DOMAIN = 'cloud.test';
/** uid/gid of nobody/nogroup (Debian). */
export const NOBODY = 65534;

/**
 * The command prefix that runs a program as nobody:nogroup with no capability at all (none
 * effective, inheritable or in the bounding set) and no way to gain one (no_new_privs).
 */
export const AS_NOBODY = [
  'setpriv',
  '--reuid=nobody',
  '--regid=nogroup',
  '--clear-groups',
  '--inh-caps=-all',
  '--bounding-set=-all',
  '--no-new-privs',
];

export interface StreamLabOptions {
  /** NetLab tag (1–4 chars). */
  tag: string;
  /** The home hosts (default ["home"]); each gets its test app. */
  homes?: string[];
  /** Extra hosts beside cloud, homes and internet. */
  hosts?: string[];
  /**
   * Run the relay's WireGuard server too (wireguard-go in "cloud", 10.100.0.0/16), for `auto`
   * tests; otherwise WG_MODE=off with a loopback tunnel pool, so nothing can reach an agent but a
   * stream session.
   */
  wireguard?: boolean;
  /** Extra relay environment (wins over the lab's). */
  relayEnv?: Record<string, string>;
}

/** A verified user with one instance, as the relay made it. */
export interface LabInstance {
  subdomain: string;
  /** The public host the edge serves it at, `<subdomain>.cloud.test`. */
  host: string;
  instanceId: string;
  instanceToken: string;
  accessToken: string;
  email: string;
  password: string;
}

export interface StreamAgentOptions {
  /** `--transport` (default "stream"). */
  transport?: 'auto' | 'wireguard' | 'stream';
  /** CLOUD_CONNECT_RELAY_URL (default the relay's own URL). */
  relayUrl?: string;
  /** `--target` (default the home's test app, http://localhost:8080). */
  target?: string;
  /** Extra environment, e.g. HTTPS_PROXY or NODE_EXTRA_CA_CERTS. */
  env?: Record<string, string>;
  /** Run as root with every capability instead of as nobody (for `auto` over WireGuard). */
  privileged?: boolean;
}

/** A running `cloud-connect connect` in a home host. */
export class StreamAgent {
  constructor(
    readonly proc: LabProcess,
    readonly home: string,
    /** Its HOME and data dir (owned by nobody). */
    readonly dir: string,
  ) {}

  /** The agent's node process (setpriv and `ip netns exec` exec into it). */
  get pid(): number {
    const pid = this.proc.pid;
    if (pid === undefined) throw new Error(`${this.home}: the agent has no pid`);
    return pid;
  }

  /** Resolves with the `Forwarding <public URL> → <target>` line once the agent is connected. */
  connected(timeoutMs = 60_000): Promise<string> {
    return this.proc.waitForLine((l) => l.startsWith('Forwarding '), timeoutMs);
  }

  output(): string {
    return this.proc.output();
  }

  /** SIGTERM, wait (SIGKILL after `timeoutMs`). */
  stop(timeoutMs = 10_000) {
    return this.proc.stop(timeoutMs);
  }
}

export class StreamLab {
  /** The visitor in "internet", asking the edge at cloud:80. */
  readonly edge: EdgeClient;
  private agentCount = 0;

  private constructor(
    readonly lab: NetLab,
    readonly relay: LabRelay,
    private readonly opened: Teardown,
  ) {
    this.edge = new EdgeClient(lab, 'internet', lab.ip('cloud'));
  }

  /** Build the lab, start the relay with its edge and a test app in every home. */
  static async start(opened: Teardown, options: StreamLabOptions): Promise<StreamLab> {
    const homes = options.homes ?? ['home'];
    const lab = opened.add(
      await NetLab.create({
        tag: options.tag,
        hosts: ['cloud', ...homes, 'internet', ...(options.hosts ?? [])],
      }),
    );
    const dataPath: Record<string, string> = options.wireguard
      ? { ...wireguardGoEnv(lab, 'cloud'), TUNNEL_CIDR: '10.100.0.0/16' }
      : { WG_MODE: 'off', TUNNEL_CIDR: '127.79.0.0/16' };
    const relay = opened.add(
      await LabRelay.start(lab, 'cloud', {
        env: {
          ...dataPath,
          EDGE_MODE: 'builtin',
          EDGE_HOST: '0.0.0.0',
          EDGE_PORT: '80',
          EDGE_CONNECT_TIMEOUT_MS: '2000',
          LOG_LEVEL: 'info',
          ...options.relayEnv,
        },
      }),
    );
    for (const home of homes) await startTestApp(lab, home, home);
    return new StreamLab(lab, relay, opened);
  }

  /** The relay's address in "cloud". */
  get cloudIp(): string {
    return this.lab.ip('cloud');
  }

  /** A user with an instance at `<subdomain>.cloud.test`; its secrets go to the relay's ledger. */
  async instance(subdomain: string): Promise<LabInstance> {
    const made = await this.relay.userWithInstance(subdomain);
    this.relay.ledger.add(made.instanceToken);
    return { ...made, subdomain, host: `${subdomain}.${BASE_DOMAIN}` };
  }

  /**
   * Start `cloud-connect connect --instance <id> --target … --transport …` in `home`, as nobody
   * unless `privileged`, with the instance token in its environment and its own HOME and data
   * dir. Resolves once spawned; `connected()` waits for it to serve.
   */
  async startAgent(
    home: string,
    instance: LabInstance,
    options: StreamAgentOptions = {},
  ): Promise<StreamAgent> {
    const dir = await this.opened.tempDir('cc-stream-agent-');
    // The secrets file's key: no keychain is needed (nor reachable) for nobody.
    const secretKey = randomBytes(24).toString('base64url');
    this.relay.ledger.add(secretKey);
    if (!options.privileged) await chown(dir, NOBODY, NOBODY);
    const target = options.target ?? 'http://localhost:8080';
    const args = [
      'connect',
      '--instance',
      instance.instanceId,
      '--target',
      target,
      '--transport',
      options.transport ?? 'stream',
    ];
    const proc = spawnLabCli(this.lab, home, args, {
      label: `${home}:agent${this.agentCount++}`,
      prefix: options.privileged ? [] : AS_NOBODY,
      env: {
        HOME: dir,
        CLOUD_CONNECT_DATA_DIR: path.join(dir, 'data'),
        CLOUD_CONNECT_RELAY_URL: options.relayUrl ?? this.relay.url,
        CLOUD_CONNECT_INSTANCE_TOKEN: instance.instanceToken,
        CLOUD_CONNECT_SECRET_KEY: secretKey,
        ...options.env,
      },
    });
    return this.opened.add(new StreamAgent(proc, home, dir));
  }
}
