import type { AddressInfo } from 'node:net';
import Koa from 'koa';

/**
 * The yardstick: a bare Koa app answering every request with a small JSON body, run as its
 * own process the same way the relay is, so both are measured with the same load generator.
 */
const app = new Koa();
app.use((ctx) => {
  ctx.body = { status: 'ok' };
});
const server = app.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  console.log(`bare koa on http://127.0.0.1:${port}`);
});
// Same keep-alive window as the relay (relay.ts), so connections are reused alike.
server.keepAliveTimeout = 65_000;
process.once('SIGTERM', () => server.close(() => process.exit(0)));
