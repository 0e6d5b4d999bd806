import { beforeAll, describe, expect, it } from 'vitest';
import { allProcessCmdlines } from '@cloud-connect/agent-core/testing';
import { CONNECT_HOME_APP, execLabCli, spawnLabCli } from './harness/cliProcess.js';
import { LabRelay, wireguardGoEnv } from './harness/labRelay.js';
import { startTestApp } from './harness/labTunnel.js';
import { NetLab, requireNetlab } from './harness/netlab.js';
import { teardownAfterAll } from './harness/suiteTeardown.js';

/**
 * The headless agent as a container runs it (seed 003 "Cloud Connect Agent"): the real
 * `cloud-connect connect` process in a "home" namespace, given only its instance token in the
 * environment, against the real relay with a wireguard-go server in "cloud".
 */

const available = requireNetlab();

describe.skipIf(!available.ok)('cloud-connect connect as the headless agent', () => {
  const opened = teardownAfterAll();
  let lab: NetLab;
  let relay: LabRelay;
  let dataDir: string;

  beforeAll(async () => {
    lab = opened.add(await NetLab.create({ tag: 'cli', hosts: ['cloud', 'home'] }));
    relay = opened.add(await LabRelay.start(lab, 'cloud', { env: wireguardGoEnv(lab, 'cloud') }));
    await startTestApp(lab, 'home', 'home-cli');
    dataDir = await opened.tempDir('cc-cli-agent-');
  }, 120_000);

  it('registers, serves the app through the tunnel, reports status, and stops cleanly on SIGTERM', async () => {
    const a = await relay.userWithInstance(`cli-${lab.prefix.toLowerCase()}`);
    const env = {
      CLOUD_CONNECT_RELAY_URL: relay.url,
      CLOUD_CONNECT_INSTANCE_TOKEN: a.instanceToken,
      CLOUD_CONNECT_DATA_DIR: dataDir,
      HOME: dataDir,
    };
    // No --instance: the instance token names its instance.
    const agent = spawnLabCli(lab, 'home', ['connect', ...CONNECT_HOME_APP], {
      label: 'home:cli',
      env,
    });
    // The public URL is the relay's: scheme and port of its edge (plain HTTP on 8080 in the lab).
    await agent.waitForLine((l) => /^Connected: https?:\/\//.test(l), 90_000);
    expect(agent.output()).toMatch(
      new RegExp(`Connected: https?://cli-${lab.prefix.toLowerCase()}\\.cloud\\.test`),
    );
    expect(agent.output()).toContain('keys are kept in memory for this run');
    expect(agent.output()).toContain(
      `Connecting Home app (${a.instanceId}) → http://localhost:8080`,
    );
    // Once connected it says where the app is served from and where that goes.
    await agent.waitForLine((l) => l.startsWith('Forwarding '), 10_000);
    expect(agent.output()).toMatch(
      new RegExp(
        `Forwarding https?://cli-${lab.prefix.toLowerCase()}\\.cloud\\.test(:\\d+)?/? → http://localhost:8080`,
      ),
    );

    // The cloud side reaches the app through the tunnel and the agent's forwarder.
    const res = await lab.exec(
      'cloud',
      'curl',
      ['-sS', '-m', '5', `http://${a.tunnelIp}:8080/hello`],
      { reject: false },
    );
    expect(res.stdout).toBe('hello from home-cli');

    // The relay heard its heartbeat.
    const inst = await relay.api.get(`/instances/${a.instanceId}`, { token: a.accessToken });
    expect(inst.body.status).toBe('connected');

    // `status` in another invocation reads what the running agent wrote.
    const status = await execLabCli(lab, 'home', ['status', '--json'], { env });
    expect(JSON.parse(status.stdout)).toMatchObject([
      {
        name: 'Home app',
        kind: 'relay',
        instanceId: a.instanceId,
        runner: 'cloud-connect connect',
        status: { status: 'connected' },
      },
    ]);

    // The token never shows in any process's argv.
    for (const cmdline of await allProcessCmdlines()) {
      expect(cmdline).not.toContain(a.instanceToken);
    }

    const links = async () => (await lab.exec('home', 'ip', ['-o', 'link', 'show'])).stdout;
    expect(await links()).toMatch(/ccw/);
    const exit = await agent.stop(15_000);
    expect(exit.code).toBe(0);
    expect(agent.output()).toContain('Stopped.');
    expect(agent.output()).not.toContain(a.instanceToken);
    // Nothing of the tunnel is left: no interface, no wireguard-go, and the relay was told.
    expect(await links()).not.toMatch(/ccw/);
    expect(lab.processesIn('home').map((p) => p.name)).not.toContain('wireguard-go');
    const after = await relay.api.get(`/instances/${a.instanceId}`, { token: a.accessToken });
    expect(after.body.status).toBe('disconnected');
  }, 180_000);
});
