#!/usr/bin/env node
import { runWebHost } from './runWebHost.js';

/**
 * `node main/dist/webhost/server.js`: the desktop manager for a headless box or a browser.
 * CLOUD_CONNECT_WEB_HOST / CLOUD_CONNECT_WEB_PORT choose the address (127.0.0.1 by default).
 */
async function main(): Promise<void> {
  const port = process.env.CLOUD_CONNECT_WEB_PORT
    ? Number(process.env.CLOUD_CONNECT_WEB_PORT)
    : 5174;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error('CLOUD_CONNECT_WEB_PORT: must be a port number 0–65535');
    process.exit(78);
  }
  const host = process.env.CLOUD_CONNECT_WEB_HOST ?? '127.0.0.1';
  const running = await runWebHost({ host, port });
  console.log(`Cloud Connect is running. Open this address in your browser:\n\n  ${running.url}\n`);
  if (host !== '127.0.0.1' && host !== 'localhost') {
    console.log('Warning: the web host listens beyond this machine; keep the link private.');
  }
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    running.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  // `on`, not `once`: execa's exit hook (signal-exit) re-raises a signal that no other listener
  // is left to handle, which would kill the process before its children are stopped.
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((e: unknown) => {
  console.error(`Cloud Connect could not start: ${(e as Error).message}`);
  process.exit(1);
});
