/**
 * INTERIM, until `cloud-connect connect --transport stream` lands: the StreamDriver under the
 * TunnelSupervisor, printing `Forwarding <url> → <target>` once connected as the CLI does.
 * Env: CLOUD_CONNECT_RELAY_URL, CLOUD_CONNECT_INSTANCE_TOKEN, CC_TARGET, CC_HOSTNAME.
 */
import { StreamDriver, TunnelSupervisor } from '@cloud-connect/agent-core/tunnels';

const relayUrl = process.env.CLOUD_CONNECT_RELAY_URL ?? '';
const token = process.env.CLOUD_CONNECT_INSTANCE_TOKEN ?? '';
delete process.env.CLOUD_CONNECT_INSTANCE_TOKEN;
const target = process.env.CC_TARGET ?? 'http://localhost:8080';
const driver = new StreamDriver({ relayUrl, token, target, backoff: { capMs: 2000 } });
const supervisor = new TunnelSupervisor(driver, { readyGraceMs: 30_000 });
let said = false;
supervisor.events.on('status', (s) => {
  console.error(`status ${s.status}${s.error ? `: ${s.error}` : ''}`);
  if (s.status === 'connected' && !said) {
    said = true;
    console.log(`Forwarding http://${process.env.CC_HOSTNAME}/ → ${target}`);
  }
});
supervisor.events.on('log', (l) => console.error(`${l.level}: ${l.message}`));
process.on('SIGTERM', () => void supervisor.stop().then(() => process.exit(0)));
await supervisor.start();
