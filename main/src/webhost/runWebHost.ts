import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createManager, type CreateManagerOptions } from '@cloud-connect/agent-core/manager';
import { composeDesktopApi } from '../host/composeDesktopApi.js';
import { desktopDataDir } from '../host/dataDir.js';
import { localRelayMail, localVerification } from '../host/localVerification.js';
import { APP_VERSION } from '../host/version.js';
import { webHostApi } from '../host/webHostApi.js';
import { startWebHost, type RunningWebHost } from './webHost.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The built renderer: `renderer/dist` in the repo (or CLOUD_CONNECT_RENDERER_DIR). */
export function defaultRendererDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.CLOUD_CONNECT_RENDERER_DIR ?? path.resolve(here, '../../../renderer/dist');
}

export interface WebHostRunOptions {
  env?: NodeJS.ProcessEnv;
  host?: string;
  port?: number;
  token?: string;
  rendererDir?: string;
  /** Options for the Manager beyond the data dir (tests point drivers at stand-ins). */
  manager?: Partial<CreateManagerOptions>;
  onOpenExternal?: (url: string) => void;
}

export interface RunningDesktopWebHost extends RunningWebHost {
  /** Stop every tunnel, then the server. */
  stop(): Promise<void>;
}

/**
 * The desktop manager without Electron: a Manager on real parts, auto-start of the enabled
 * connections (seed 000 P13-2.2), and the web host serving the renderer with the DesktopApi.
 */
export async function runWebHost(options: WebHostRunOptions = {}): Promise<RunningDesktopWebHost> {
  const env = options.env ?? process.env;
  const manager = await createManager({
    dataDir: desktopDataDir(env),
    env,
    ...(env.CLOUD_CONNECT_RELAY_URL ? { relayUrl: env.CLOUD_CONNECT_RELAY_URL } : {}),
    ...options.manager,
  });
  const local = localVerification(localRelayMail(env), manager);
  const api = composeDesktopApi(manager, webHostApi(APP_VERSION, options.onOpenExternal, local));
  const web = await startWebHost({
    api,
    rendererDir: options.rendererDir ?? defaultRendererDir(env),
    version: APP_VERSION,
    ...(options.host ? { host: options.host } : {}),
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.token ? { token: options.token } : {}),
  });
  void manager.autoStart();
  return {
    ...web,
    async stop() {
      await manager.shutdown();
      await web.close();
    },
  };
}
