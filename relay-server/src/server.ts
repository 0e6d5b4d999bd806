#!/usr/bin/env node
import { ConfigError, loadConfig } from './config/config.js';
import { startRelay } from './relay.js';

/** `npm run relay`: read the environment, start, and stop cleanly on SIGINT/SIGTERM. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`relay-server: bad configuration: ${e.message}`);
      process.exit(78); // EX_CONFIG
    }
    throw e;
  }
  let relay;
  try {
    relay = await startRelay(config);
  } catch (e) {
    // Some settings (RELAY_DATA_DIR) can only be judged when used.
    if (e instanceof ConfigError) {
      console.error(`relay-server: bad configuration: ${e.message}`);
      process.exit(78);
    }
    throw e;
  }
  console.log(`Cloud Connect relay on ${relay.url} (data in ${config.dataDir})`);
  const stop = (signal: string) => {
    relay.services.logger.info({ signal }, 'shutting down');
    relay.close().then(
      () => process.exit(0),
      (e) => {
        console.error(e);
        process.exit(1);
      },
    );
  };
  // `on`, not `once`: execa's exit hook (signal-exit) re-raises a signal that no other listener
  // is left to handle, which would kill the process before its children are stopped.
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((e: unknown) => {
  console.error(`relay-server: could not start: ${(e as Error).message}`);
  process.exit(1);
});
