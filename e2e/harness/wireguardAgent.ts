/**
 * A headless WireGuard agent for namespace tests and benches, until `cloud-connect connect`
 * exists: the WireGuard driver under the TunnelSupervisor, one JSON line per event on stdout.
 *
 * Run inside a lab host: `node --import tsx --conditions=@cloud-connect/source
 * e2e/harness/wireguardAgent.ts`. Secrets come from the environment, never argv:
 *   CC_RELAY_URL, CC_INSTANCE_TOKEN, CC_WG_PRIVATE_KEY (generated when unset), CC_TARGET,
 *   CC_FORWARD_PORT (the forwarder's port at the tunnel IP; default the target's),
 *   CC_WG_INTERFACE_PREFIX, CC_HEARTBEAT_CAP_MS, CC_PROBE_INTERVAL_MS, CC_READY_GRACE_MS,
 *   CC_HEALTH_CHECK_MS, CC_BACKOFF_CAP_MS.
 * SIGTERM stops the tunnel (nothing left running) and exits 0. SIGUSR2 runs the connectivity
 * test of the running tunnel (probeRunningTunnel: it never stops or restarts it) and prints
 * `{"event":"test","result":…}`.
 */
import { InstanceClient } from '@cloud-connect/agent-core/client';
import {
  probeRunningTunnel,
  TunnelSupervisor,
  WireGuardDriver,
} from '@cloud-connect/agent-core/tunnels';
import { generateKeyPair } from '@cloud-connect/agent-core/wireguard';

function take(name: string): string | undefined {
  const v = process.env[name];
  // Read once and drop it, so nothing this process starts inherits it.
  delete process.env[name];
  return v === '' ? undefined : v;
}

const num = (v: string | undefined, fallback: number) => (v ? Number(v) : fallback);
const print = (event: string, data: Record<string, unknown>) =>
  process.stdout.write(`${JSON.stringify({ event, at: new Date().toISOString(), ...data })}\n`);

const relayUrl = take('CC_RELAY_URL');
const token = take('CC_INSTANCE_TOKEN');
if (!relayUrl || !token) {
  console.error('wireguardAgent: CC_RELAY_URL and CC_INSTANCE_TOKEN are required');
  process.exit(2);
}
const privateKey = take('CC_WG_PRIVATE_KEY') ?? generateKeyPair().privateKey;

const driver = new WireGuardDriver({
  api: new InstanceClient({ baseUrl: relayUrl, timeoutMs: 5000 }, token),
  privateKey,
  target: take('CC_TARGET') ?? 'http://localhost:8080',
  forwardPort: num(take('CC_FORWARD_PORT'), 0) || undefined,
  interfacePrefix: take('CC_WG_INTERFACE_PREFIX'),
  mode: 'wireguard-go',
  heartbeatIntervalCapMs: num(take('CC_HEARTBEAT_CAP_MS'), 60_000),
  heartbeatRetryMs: 1000,
  probeIntervalMs: num(take('CC_PROBE_INTERVAL_MS'), 10_000),
});
const supervisor = new TunnelSupervisor(driver, {
  healthCheckIntervalMs: num(take('CC_HEALTH_CHECK_MS'), 30_000),
  readyGraceMs: num(take('CC_READY_GRACE_MS'), 90_000),
  backoff: { capMs: num(take('CC_BACKOFF_CAP_MS'), 60_000) },
});

supervisor.events.on('status', (status) => print('status', { status, tunnel: driver.tunnel }));
supervisor.events.on('log', (line) => print('log', { level: line.level, message: line.message }));

let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  await supervisor.stop();
  print('stopped', { signal });
  process.exit(0);
};
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGUSR2', () => {
  void probeRunningTunnel({ tunnel: supervisor, timeoutMs: 10_000 }).then((result) =>
    print('test', { result }),
  );
});

print('starting', { public_key: driver.registeredPublicKey });
await supervisor.start();
