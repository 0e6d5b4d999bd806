/**
 * A visitor that keeps asking: LOAD_WORKERS workers each send GET LOAD_PATH to the edge at
 * LOAD_ADDRESS (`ip:port`, plain HTTP) with `Host: LOAD_HOST`, one request after another over
 * keep-alive connections, and print one JSON line per finished request:
 * `{"start":<ms>,"end":<ms>,"status":<code, 0 without an answer>,"error":<what cut it, or null>}` (wall-clock ms,
 * comparable with the test process's Date.now()). SIGTERM lets the requests in flight finish,
 * then prints `done` and exits.
 */
import http from 'node:http';

const [hostname, port] = (process.env.LOAD_ADDRESS ?? '').split(':');
const workers = Number(process.env.LOAD_WORKERS ?? 4);
const agent = new http.Agent({ keepAlive: true, maxSockets: workers });
let running = true;

function once(): Promise<void> {
  const start = Date.now();
  return new Promise((resolve) => {
    let done = false;
    // Once per request: a timeout destroys it, which fails it a second time.
    const finish = (status: number, error: string | null) => {
      if (done) return;
      done = true;
      process.stdout.write(`${JSON.stringify({ start, end: Date.now(), status, error })}\n`);
      resolve();
    };
    const req = http.get(
      {
        hostname,
        port: Number(port || 80),
        path: process.env.LOAD_PATH ?? '/hello',
        headers: { host: process.env.LOAD_HOST },
        agent,
        timeout: 10_000,
      },
      (res) => {
        res.resume();
        res.on('end', () => finish(res.statusCode ?? 0, null));
        // The answer began but was cut: its status, and what cut it.
        res.on('error', (e) => finish(res.statusCode ?? 0, e.message));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (e) => finish(0, e.message));
  });
}

async function worker(): Promise<void> {
  while (running) await once();
}

process.on('SIGTERM', () => (running = false));
await Promise.all(Array.from({ length: workers }, () => worker()));
agent.destroy();
console.log('done');
