/**
 * bench:sessions' relay: the real relay (startRelay, as `npm run relay` starts it) in a child
 * process of its own, so its memory is measured apart from the 1,000 agents' ends. Run with
 * `--expose-gc` and an IPC channel: prints `{"relay":…,"edge":…}` once it listens and answers
 * every `"memory"` message with its process.memoryUsage() after two full collections.
 */
import { loadConfig } from '../../relay-server/src/config/config.js';
import { startRelay } from '../../relay-server/src/relay.js';

const relay = await startRelay(loadConfig());
const proxy = relay.edge.proxy;
if (proxy?.mode !== 'builtin') throw new Error('bench:sessions needs EDGE_MODE=builtin');
console.log(JSON.stringify({ relay: relay.url, edge: proxy.url }));

const gc = (globalThis as { gc?: () => void }).gc;
process.on('message', (message) => {
  if (message !== 'memory') return;
  gc?.();
  gc?.();
  process.send?.(process.memoryUsage());
});
process.on('disconnect', () => void relay.close().then(() => process.exit(0)));
