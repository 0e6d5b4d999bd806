import { TunnelError } from '../tunnelError.js';

/** `http://localhost:8080` → host and port; the forwarder only needs those. */
export function parseTarget(target: string): { host: string; port: number } {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new TunnelError(
      'CONFIG_INVALID',
      `The target "${target}" is not a URL such as http://localhost:8080`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:' && url.protocol !== 'tcp:') {
    throw new TunnelError(
      'CONFIG_INVALID',
      `The target must be http://, https:// or tcp://, got ${url.protocol}`,
    );
  }
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  if (!url.port && url.protocol === 'tcp:') {
    throw new TunnelError('CONFIG_INVALID', 'A tcp:// target needs a port');
  }
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port };
}
