import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { allProcessCmdlines } from '@cloud-connect/agent-core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONNECT_HOME_APP, execLabCli, spawnLabCli } from './harness/cliProcess.js';
import { LabRelay, wireguardGoEnv } from './harness/labRelay.js';
import {
  startTestApp,
  startWireGuardAgent,
  waitForStatus,
  type AgentLine,
} from './harness/labTunnel.js';
import { NetLab, requireNetlab, type LabProcess } from './harness/netlab.js';
import { teardownAfterAll } from './harness/suiteTeardown.js';

/**
 * Issue 8 §3 in namespaces, with real wireguard-go: `cloud-connect test` while `cloud-connect
 * connect` runs the same connection must not knock the tunnel offline, and a WireGuard tunnel
 * that does not come up says why (UDP blocked on the way, a relay without WireGuard) instead of
 * blaming the internet connection. "cloud" runs a relay with a wireguard-go server, "cloud-off"
 * one with WG_MODE=off; "home" runs the CLI and a test app, "home-b" the headless agent.
 */

const available = requireNetlab();

const SECRET_KEY = 'wireguard-test-and-causes-0123456789abcdef';

describe.skipIf(!available.ok)(
  'WireGuard: testing a running tunnel, and errors that name the cause',
  () => {
    let lab: NetLab;
    let relay: LabRelay;
    let relayOff: LabRelay;
    let dataDir: string;
    const opened = teardownAfterAll();
    const agents: LabProcess[] = [];
    const secrets: string[] = [];

    const startAgent = (relayUrl: string, instanceToken: string) => {
      const agent = startWireGuardAgent(lab, 'home-b', {
        CC_RELAY_URL: relayUrl,
        CC_INSTANCE_TOKEN: instanceToken,
        CC_TARGET: 'http://localhost:8080',
        CC_WG_INTERFACE_PREFIX: `${lab.prefix}b`,
        CC_HEARTBEAT_CAP_MS: '2000',
        CC_PROBE_INTERVAL_MS: '1000',
        CC_HEALTH_CHECK_MS: '2000',
        // No restart while the test watches the error.
        CC_READY_GRACE_MS: '120000',
      });
      agents.push(opened.add(agent));
      return agent;
    };

    /** Have the running agent test its tunnel (SIGUSR2) and answer the result it prints. */
    const testRunning = async (agent: LabProcess) => {
      const mark = agent.lines.length;
      process.kill(agent.pid!, 'SIGUSR2');
      const line = await agent.waitForJson<{ event: string; result: Record<string, unknown> }>(
        (l) => l.event === 'test',
        20_000,
        mark,
      );
      return line.result;
    };

    beforeAll(async () => {
      lab = opened.add(
        await NetLab.create({ tag: 'tc', hosts: ['cloud', 'cloud-off', 'home', 'home-b'] }),
      );
      relay = opened.add(await LabRelay.start(lab, 'cloud', { env: wireguardGoEnv(lab, 'cloud') }));
      // Nothing listens on its WG_ENDPOINT: this relay runs without WireGuard.
      relayOff = opened.add(
        await LabRelay.start(lab, 'cloud-off', {
          env: { WG_MODE: 'off', WG_ENDPOINT: `${lab.ip('cloud-off')}:51820` },
        }),
      );
      await startTestApp(lab, 'home', 'home-app');
      dataDir = await opened.tempDir('cc-wg-test-');
    }, 120_000);

    it('`cloud-connect test` of the connection `connect` runs reports it without touching the tunnel', async () => {
      const a = await relay.userWithInstance(`tc-${lab.prefix.toLowerCase()}`);
      secrets.push(a.instanceToken);
      // Both processes share the secrets file (CLOUD_CONNECT_SECRET_KEY), as a desktop app and the
      // CLI on one machine share the keychain: the test process has the same key and token.
      const env = {
        CLOUD_CONNECT_RELAY_URL: relay.url,
        CLOUD_CONNECT_DATA_DIR: dataDir,
        CLOUD_CONNECT_SECRET_KEY: SECRET_KEY,
        HOME: dataDir,
      };
      const agent = spawnLabCli(
        lab,
        'home',
        ['connect', '--instance', a.instanceId, ...CONNECT_HOME_APP],
        { label: 'home:connect', env: { ...env, CLOUD_CONNECT_INSTANCE_TOKEN: a.instanceToken } },
      );
      agents.push(opened.add(agent));
      await agent.waitForLine((l) => l.startsWith('Connected'), 90_000);
      const wgBefore = lab.processesIn('home').filter((p) => p.name === 'wireguard-go');
      expect(wgBefore).toHaveLength(1);
      const settings = JSON.parse(await readFile(path.join(dataDir, 'settings.json'), 'utf8')) as {
        connections: Array<{ id: string; instanceId: string | null }>;
      };
      const connectionId = settings.connections.find((c) => c.instanceId === a.instanceId)!.id;
      const mark = agent.lines.length;

      const test = await execLabCli(lab, 'home', ['test', '--connection', connectionId, '--json'], {
        env,
        reject: false,
      });
      expect(test.exitCode, `${test.stdout}\n${test.stderr}`).toBe(0);
      const result = JSON.parse(test.stdout) as Record<string, unknown>;
      expect(result).toMatchObject({
        success: true,
        tested: 'elsewhere',
        hostname: `tc-${lab.prefix.toLowerCase()}.cloud.test`,
      });
      // The test process never registered the tunnel nor brought up an interface of its own.
      expect(test.stderr).not.toMatch(/Registering the tunnel|Bringing up WireGuard/);

      // The relay still sees the tunnel up (a test that registered and stopped again would have
      // disconnected it), the same wireguard-go serves it, and traffic flows.
      const inst = await relay.api.get(`/instances/${a.instanceId}`, { token: a.accessToken });
      expect(inst.body.status).toBe('connected');
      expect(lab.processesIn('home').filter((p) => p.name === 'wireguard-go')).toEqual(wgBefore);
      const res = await lab.exec(
        'cloud',
        'curl',
        ['-sS', '-m', '5', `http://${a.tunnelIp}:8080/hello`],
        {
          reject: false,
        },
      );
      expect(res.stdout).toBe('hello from home-app');
      expect(agent.lines.slice(mark).join('\n')).not.toMatch(/lost its connection|Error:/);

      const exit = await agent.stop(15_000);
      expect(exit.code).toBe(0);
    }, 180_000);

    it('says no handshake came and that UDP to the relay endpoint may be blocked; once unblocked, a test of the running tunnel names the app’s refusal, then passes, never touching it', async () => {
      const b = await relay.userWithInstance(`tcb-${lab.prefix.toLowerCase()}`);
      secrets.push(b.instanceToken);
      const endpoint = `${lab.ip('cloud')}:51820`;
      const block = [
        'OUTPUT',
        '-p',
        'udp',
        '-d',
        lab.ip('cloud'),
        '--dport',
        '51820',
        '-j',
        'DROP',
      ];
      await lab.exec('home-b', 'iptables', ['-A', ...block]);
      let agent: LabProcess;
      try {
        agent = startAgent(relay.url, b.instanceToken);
        const stuck = await waitForStatus(agent, (s) => s.error_code === 'NO_HANDSHAKE', 40_000);
        expect(stuck.status!.error).toMatch(
          new RegExp(
            `^No WireGuard handshake from the relay after \\d+ s \\(UDP to ${endpoint.replaceAll('.', '\\.')} blocked\\?\\)`,
          ),
        );
        expect(stuck.status!.error).not.toMatch(/check your internet/i);
      } finally {
        await lab.exec('home-b', 'iptables', ['-D', ...block], { reject: false });
      }
      const mark = agent.lines.length;
      const up = await waitForStatus(agent, (s) => s.status === 'connected', 40_000, mark);

      // Testing the running tunnel probes it where it stands: with no app behind it the test
      // names the app's refusal, and the tunnel stays up on the same wireguard-go.
      const refused = await testRunning(agent);
      expect(refused).toMatchObject({
        success: false,
        error_code: 'TARGET_UNAVAILABLE',
        tested: 'running',
      });
      expect(refused.error).toMatch(/^The app at localhost:8080 refused the connection/);
      await startTestApp(lab, 'home-b', 'home-b-app');
      const works = await testRunning(agent);
      expect(works).toMatchObject({
        success: true,
        tested: 'running',
        hostname: `tcb-${lab.prefix.toLowerCase()}.cloud.test`,
      });
      expect(works.latency_ms).toEqual(expect.any(Number));
      const statuses = agent
        .jsonLines<AgentLine>()
        .filter((l) => l.event === 'status' && Date.parse(l.at) >= Date.parse(up.at));
      expect(statuses.filter((l) => l.status?.status !== 'connected')).toEqual([]);
      expect(statuses.at(-1)?.tunnel?.pid).toBe(up.tunnel?.pid);
      await agent.stop();
    }, 120_000);

    it('says the relay runs without WireGuard when it reports WG_MODE=off and no handshake comes', async () => {
      const c = await relayOff.userWithInstance(`tcoff-${lab.prefix.toLowerCase()}`);
      secrets.push(c.instanceToken);
      const agent = startAgent(relayOff.url, c.instanceToken);
      const stuck = await waitForStatus(
        agent,
        (s) => s.error_code === 'RELAY_WITHOUT_WIREGUARD',
        40_000,
      );
      expect(stuck.status!.error).toMatch(/^This relay runs without WireGuard \(WG_MODE=off\)/);
      expect(stuck.status!.error).toContain(`${lab.ip('cloud-off')}:51820`);
      await agent.stop();
    }, 120_000);

    it('puts no instance token in any argv or log, and leaves no wireguard-go behind', async () => {
      const argv = (await allProcessCmdlines()).join('\n');
      for (const s of secrets) expect(argv.includes(s)).toBe(false);
      const logs = [relay.output(), relayOff.output(), ...agents.map((p) => p.output())].join('\n');
      for (const s of secrets) expect(logs.includes(s)).toBe(false);
      for (const host of ['home', 'home-b']) {
        expect(lab.processesIn(host).map((p) => p.name)).not.toContain('wireguard-go');
      }
    });
  },
);
