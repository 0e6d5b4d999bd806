import { setGlobalProxyFromEnv, type ProxyEnv } from 'node:http';

const first = (env: NodeJS.ProcessEnv, ...names: string[]) =>
  names.map((n) => env[n]?.trim()).find((v) => v);

/**
 * The proxy variables as Node's built-in proxy support reads them, with the ones the stream
 * transport also honours filled in (`ALL_PROXY` for either scheme, lower-case names): null when
 * the environment names no proxy.
 */
export function apiProxyEnv(env: NodeJS.ProcessEnv): ProxyEnv | null {
  const all = first(env, 'ALL_PROXY', 'all_proxy');
  const https = first(env, 'HTTPS_PROXY', 'https_proxy') ?? all;
  const http = first(env, 'HTTP_PROXY', 'http_proxy') ?? all;
  if (!https && !http) return null;
  const noProxy = first(env, 'NO_PROXY', 'no_proxy');
  return {
    ...(https ? { HTTPS_PROXY: https } : {}),
    ...(http ? { HTTP_PROXY: http } : {}),
    ...(noProxy ? { NO_PROXY: noProxy } : {}),
  };
}

/**
 * Send the CLI's Cloud API calls (fetch) through the proxy the environment names, as its stream
 * sessions go: behind a proxy that is the only way out, and a tunnel whose sessions are up but
 * whose API calls fail would never learn its public URL. Nothing changes without a proxy.
 */
export function useEnvironmentProxy(env: NodeJS.ProcessEnv): void {
  const proxyEnv = apiProxyEnv(env);
  if (proxyEnv) setGlobalProxyFromEnv(proxyEnv);
}
