import type { Config } from '../config/config.js';
import type { Logger } from '../logging/logger.js';
import type { Store } from '../store/types.js';
import { serverAddress } from '../tunnelAddresses/cidr.js';
import { InterfaceServer } from './interfaceServer.js';
import { serverKeyFile } from './keys.js';
import { storeOnlyWireGuard, type Peer, type WireGuardServer } from './server.js';

/** The peers the store says should exist: every instance with a registered public key. */
export async function registeredPeers(store: Store): Promise<Peer[]> {
  return (await store.instances.listRegistered()).flatMap((i) =>
    i.publicKey ? [{ publicKey: i.publicKey, tunnelIp: i.tunnelIp }] : [],
  );
}

/**
 * The WireGuard server `WG_MODE` asks for. With an interface, it starts reconciled with the
 * store: peers registered while the relay was down are added, stale ones removed.
 */
export async function createWireGuardServer(
  config: Config,
  publicKey: string,
  store: Store,
  logger: Logger,
): Promise<WireGuardServer> {
  if (config.wgMode === 'off') return storeOnlyWireGuard(publicKey);
  const server = await InterfaceServer.start({
    mode: config.wgMode,
    interfaceName: config.wgInterface,
    listenPort: config.wgListenPort,
    privateKeyFile: serverKeyFile(config.dataDir),
    publicKey,
    address: `${serverAddress(config.tunnelCidr)}/${config.tunnelCidr.prefix}`,
    logger,
  });
  try {
    await server.reconcile(await registeredPeers(store));
  } catch (e) {
    await server.close();
    throw e;
  }
  return server;
}
