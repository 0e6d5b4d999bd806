/**
 * The desktop manager's web host as a process of its own, for GUI tests that need it inside a
 * network namespace (the WireGuard test runs it in the lab's "home" host). Run with
 * `node --import tsx --conditions=@cloud-connect/source e2e/gui/harness/webHostProcess.ts`.
 *
 * CC_GUI_WEB_HOST is JSON (never a secret): `{ host, relayUrl, dataDir, secretService,
 * interfacePrefix }`. The keychain is whatever DBUS_SESSION_BUS_ADDRESS points at. Prints one
 * JSON line `{"event":"listening","url":…}` once it serves; SIGTERM stops every tunnel and exits 0.
 */
import { runWebHost } from '../../../main/src/webhost/runWebHost.js';

interface WebHostProcessConfig {
  host: string;
  relayUrl: string;
  dataDir: string;
  secretService: string;
  interfacePrefix: string;
}

const config = JSON.parse(process.env.CC_GUI_WEB_HOST ?? 'null') as WebHostProcessConfig | null;
if (!config) {
  console.error('webHostProcess: CC_GUI_WEB_HOST is required');
  process.exit(2);
}

const running = await runWebHost({
  env: {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    CLOUD_CONNECT_DATA_DIR: config.dataDir,
    CLOUD_CONNECT_RELAY_URL: config.relayUrl,
  },
  host: config.host,
  port: 0,
  manager: {
    dataDir: config.dataDir,
    secretBackend: 'keychain',
    secretService: config.secretService,
    // No Docker here: the user types the target.
    dockerSocket: `${config.dataDir}/no-docker.sock`,
    wireguard: {
      mode: 'wireguard-go',
      interfacePrefix: config.interfacePrefix,
      probeIntervalMs: 1000,
      heartbeatIntervalCapMs: 2000,
      heartbeatRetryMs: 1000,
    },
    supervisor: {
      healthCheckIntervalMs: 1000,
      readyGraceMs: 20_000,
      backoff: { initialMs: 200, capMs: 2000 },
    },
    testTimeoutMs: 20_000,
  },
});
process.stdout.write(`${JSON.stringify({ event: 'listening', url: running.url })}\n`);

let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  running.stop().then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(`webHostProcess: stop failed: ${(e as Error).message}`);
      process.exit(1);
    },
  );
});
