import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { until } from '@cloud-connect/relay-server/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConnectionView } from '../desktop/desktopApi.js';
import { createManager } from '../manager/createManager.js';
import type { Manager } from '../manager/manager.js';
import { createStatusFileWriter } from '../status/statusFiles.js';
import { connectionView } from '../testing/connectionView.js';
import { cloudflaredStandInPath, makeTunnelToken } from '../testing/index.js';
import { runCli } from './main.js';
import type { Io } from './output.js';

/**
 * `cloud-connect status` sees the tunnels of the desktop app (Electron or the web host, each a
 * Manager built by createManager on the desktop data dir), not only those of other
 * `cloud-connect` processes.
 */

const SECRET_KEY = 'status-test-secret-key-0123456789abcdef';
let root: string;
let manager: Manager | null = null;

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'cc-cli-status-'));
});
afterEach(async () => {
  await manager?.shutdown();
  manager = null;
  await rm(root, { recursive: true, force: true });
});

async function cli(args: string[], env: NodeJS.ProcessEnv) {
  let stdout = '';
  const io: Io = { out: (l) => (stdout += `${l}\n`), err: () => undefined, isTty: false };
  return { code: await runCli(args, io, env), stdout };
}

describe('cloud-connect status', () => {
  it('lists a tunnel the desktop app runs, saying the desktop app runs it and in which process', async () => {
    // The CLI and the desktop app each in their default data dir under one config home.
    const env = { XDG_CONFIG_HOME: root, CLOUD_CONNECT_SECRET_KEY: SECRET_KEY };
    manager = await createManager({
      dataDir: path.join(root, 'Cloud Connect'),
      env,
      cloudflaredPath: cloudflaredStandInPath(),
    });
    const desktop = manager;
    const add = await desktop.addConnection({
      kind: 'cloudflare',
      name: 'Desktop files',
      token: makeTunnelToken(),
      target: null,
      enabled: true,
    });
    if (!add.ok) throw new Error(add.message);
    const connected = new Promise<void>((resolve) => {
      const off = desktop.onConnections((list: ConnectionView[]) => {
        if (list.some((c) => c.status.status === 'connected')) {
          off();
          resolve();
        }
      });
    });
    expect((await desktop.connect(add.value.id)).ok).toBe(true);
    await connected;

    // The status file lands right after the change: poll the CLI, as a user would.
    type Listed = Array<{ name: string; runner: string; status: { status: string } }>;
    const json = await until(
      'cloud-connect status --json to list the tunnel as connected',
      async () => {
        const listed = JSON.parse((await cli(['status', '--json'], env)).stdout) as Listed;
        return listed[0]?.status.status === 'connected' && listed;
      },
      10_000,
      20,
    );
    expect(json).toMatchObject([
      {
        name: 'Desktop files',
        runner: 'desktop app',
        agent_pid: process.pid,
        status: { status: 'connected' },
        data_dir: path.join(root, 'Cloud Connect'),
      },
    ]);
    const table = await cli(['status'], env);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(
      new RegExp(
        `Desktop files\\s+cloudflare\\s+-\\s+Connected\\s+https://app\\.example\\.com\\s+\\S+\\s+0\\s+desktop app \\(pid ${process.pid}\\)\\s+just now`,
      ),
    );

    // Quitting the app removes its files: the tunnel is no longer listed.
    await desktop.shutdown();
    expect(JSON.parse((await cli(['status', '--json'], env)).stdout)).toEqual([]);
  });

  it('names the transport a relay connection uses and, for auto, why', async () => {
    const env = { XDG_CONFIG_HOME: root };
    const writer = createStatusFileWriter(
      path.join(root, 'cloud-connect'),
      'cloud-connect connect',
    );
    const running = { status: 'connected', is_connected: true, is_running: true } as const;
    writer.write(
      connectionView({
        id: 'conn_auto01',
        name: 'Photos',
        kind: 'relay',
        transport: 'auto',
        status: {
          ...running,
          details: {
            transport: 'stream',
            transport_reason: 'no permission to create a network interface',
          },
        },
      }),
    );
    writer.write(
      connectionView({
        id: 'conn_wg0001',
        name: 'Wiki',
        kind: 'relay',
        transport: 'wireguard',
        status: { ...running, details: { transport: 'wireguard', transport_reason: null } },
      }),
    );
    await writer.flushed();
    try {
      const table = await cli(['status'], env);
      expect(table.code).toBe(0);
      expect(table.stdout).toMatch(/^NAME\s+KIND\s+TRANSPORT\s+STATE/);
      expect(table.stdout).toMatch(
        /Photos\s+relay\s+via stream transport — no permission to create a network interface\s+Connected/,
      );
      expect(table.stdout).toMatch(/Wiki\s+relay\s+via WireGuard\s+Connected/);
      // --json carries the choice and the driver's details as they are.
      const json = JSON.parse((await cli(['status', '--json'], env)).stdout) as ConnectionView[];
      expect(json.map((c) => [c.transport, c.status.details.transport])).toEqual([
        ['auto', 'stream'],
        ['wireguard', 'wireguard'],
      ]);
    } finally {
      await writer.close();
    }
  });

  it('says where it looked when no tunnel runs', async () => {
    const env = { XDG_CONFIG_HOME: root };
    const res = await cli(['status'], env);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('No tunnel is running on this machine');
    expect(res.stdout).toContain(path.join(root, 'cloud-connect', 'status'));
    expect(res.stdout).toContain(path.join(root, 'Cloud Connect', 'status'));
  });
});
