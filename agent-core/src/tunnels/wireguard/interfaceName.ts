import { randomBytes } from 'node:crypto';
import { TunnelError } from '../tunnelError.js';

/** Linux's limit on an interface name (IFNAMSIZ less the terminating NUL). */
const MAX_NAME = 15;
const NAME = /^[A-Za-z0-9_.-]{1,15}$/;

/** Room the prefix leaves for the random part: at most 8 hex digits, at least 3. */
function suffixRoom(prefix: string): number {
  const room = Math.min(8, MAX_NAME - prefix.length);
  if (room < 3) {
    throw new TunnelError(
      'CONFIG_INVALID',
      `The interface prefix "${prefix}" leaves no room for a unique suffix (max 12 chars)`,
    );
  }
  return room;
}

/**
 * `<prefix><random hex>` within Linux's 15-character limit. Names must be unique machine-wide:
 * wireguard-go's control sockets (/var/run/wireguard/<name>.sock) are shared by all namespaces.
 */
export function uniqueInterfaceName(prefix: string): string {
  return `${prefix}${randomBytes(4).toString('hex').slice(0, suffixRoom(prefix))}`;
}

/**
 * Where each start's interface name comes from: the fixed `interfaceName`, or a fresh
 * `uniqueInterfaceName(prefix)` per start. A prefix too long for a suffix is refused here, when
 * the driver is made; a fixed name that is not an interface name when it is used.
 */
export function interfaceNamer(options: {
  interfaceName?: string | undefined;
  interfacePrefix?: string | undefined;
}): () => string {
  const { interfaceName } = options;
  if (interfaceName) return () => checkedInterfaceName(interfaceName);
  const prefix = options.interfacePrefix ?? 'ccwg';
  suffixRoom(prefix);
  return () => uniqueInterfaceName(prefix);
}

function checkedInterfaceName(name: string): string {
  if (!NAME.test(name)) {
    throw new TunnelError(
      'CONFIG_INVALID',
      `"${name}" is not an interface name (1–15 letters, digits, _ . -)`,
    );
  }
  return name;
}
