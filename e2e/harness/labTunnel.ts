import path from 'node:path';
import type { TunnelStatus } from '@cloud-connect/agent-core/tunnels';
import { TSX_NODE_ARGS } from './labRelay.js';
import type { LabProcess, NetLab } from './netlab.js';
import { REPO_ROOT } from './relayProcess.js';

/**
 * The WireGuard data path's pieces that namespace tests and benches share: the test app and
 * the headless agent started in a lab host, the agent's status lines, a raw upgrade echo, and
 * the relay interface's peers as `wg` shows them.
 */

/** One JSON line the headless agent (`wireguardAgent.ts`) prints. */
export interface AgentLine {
  event: string;
  at: string;
  status?: TunnelStatus;
  tunnel?: { interfaceName: string; tunnelIp: string; serverIp: string; pid: number } | null;
  level?: string;
  message?: string;
}

/**
 * Start the test app (`testApp.ts`) in `host`, answering `hello from <name>`; resolves once it
 * listens. `env` adds APP_HOST / APP_PORT.
 */
export async function startTestApp(
  lab: NetLab,
  host: string,
  name: string,
  env: Record<string, string> = {},
): Promise<LabProcess> {
  const app = lab.spawn(
    host,
    process.execPath,
    [...TSX_NODE_ARGS, path.join(REPO_ROOT, 'e2e/harness/testApp.ts')],
    { cwd: REPO_ROOT, label: `${host}:app`, env: { APP_NAME: name, ...env } },
  );
  await app.waitForLine((l) => l.startsWith('listening'));
  return app;
}

/**
 * Start the headless WireGuard agent in `host`; `env` holds its CC_* settings (secrets
 * included: they go through the environment, never argv).
 */
export function startWireGuardAgent(
  lab: NetLab,
  host: string,
  env: Record<string, string>,
): LabProcess {
  return lab.spawn(
    host,
    process.execPath,
    [...TSX_NODE_ARGS, path.join(REPO_ROOT, 'e2e/harness/wireguardAgent.ts')],
    { cwd: REPO_ROOT, label: `${host}:agent`, env },
  );
}

/** The agent's first status line (from line `from` on) whose status `match` accepts. */
export function waitForStatus(
  agent: LabProcess,
  match: (s: TunnelStatus) => boolean,
  timeoutMs = 30_000,
  from = 0,
): Promise<AgentLine> {
  return agent.waitForJson<AgentLine>(
    (l) => l.event === 'status' && !!l.status && match(l.status),
    timeoutMs,
    from,
  );
}

/**
 * From `from`, send a WebSocket upgrade to `ip:port` with this Host, then `message` on the
 * upgraded connection; resolves with `<status line> / echo:<message>` once the test app's echo
 * comes back (the command fails with what it got after `timeoutMs`).
 */
export async function upgradeEcho(
  lab: NetLab,
  from: string,
  target: { ip: string; port: number; host: string; message: string; timeoutMs: number },
): Promise<string> {
  const request = [
    'GET /ws HTTP/1.1',
    `Host: ${target.host}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    'Sec-WebSocket-Version: 13',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    '',
    '',
  ].join('\r\n');
  const echo = `echo:${target.message}`;
  const script = `
    const s = require('node:net').connect(${target.port}, ${JSON.stringify(target.ip)});
    let got = '';
    s.write(${JSON.stringify(request)});
    s.on('data', (d) => {
      got += d;
      if (got.includes('\\r\\n\\r\\n') && !got.includes('echo:')) s.write(${JSON.stringify(target.message)});
      if (got.includes(${JSON.stringify(echo)})) { console.log(got.split('\\r\\n')[0] + ' / ' + ${JSON.stringify(echo)}); process.exit(0); }
    });
    setTimeout(() => { console.log('timeout: ' + got); process.exit(1); }, ${target.timeoutMs});`;
  return (await lab.exec(from, process.execPath, ['-e', script])).stdout.trim();
}

/**
 * The peer lines of `wg show <ifName> dump` in `host`, split into fields: public key,
 * preshared key, endpoint, allowed-ips, latest handshake, rx bytes, tx bytes, keepalive.
 */
export async function wgPeerFields(lab: NetLab, host: string, ifName: string): Promise<string[][]> {
  return (await lab.exec(host, 'wg', ['show', ifName, 'dump'])).stdout
    .split('\n')
    .slice(1)
    .filter(Boolean)
    .map((l) => l.split('\t'));
}
