/**
 * `npm run bench:tunnel` (issue 3 §7): in one run, HTTP latency and throughput straight to the
 * app over a veth link and through the WireGuard tunnel + the agent's forwarder (with the ratio),
 * then the time from a cloudflared stand-in crash to the supervisor's status event.
 */
import { benchCloudflaredCrash, formatCloudflaredCrash } from './cloudflaredCrash.js';
import { benchWireGuardLatency, formatWireGuardLatency } from './wireguardLatency.js';

console.log('WireGuard tunnel vs. direct (namespaces, same run)\n');
console.log(formatWireGuardLatency(await benchWireGuardLatency()));
console.log('\ncloudflared crash → status event\n');
console.log(formatCloudflaredCrash(await benchCloudflaredCrash()));
process.exit(0);
