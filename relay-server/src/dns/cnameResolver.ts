import { Resolver } from 'node:dns/promises';

export type DnsFailure = 'not_found' | 'unreachable';

/** A lookup that found no CNAME (`not_found`) or could not ask (`unreachable`). */
export class DnsLookupError extends Error {
  constructor(
    readonly kind: DnsFailure,
    message: string,
  ) {
    super(message);
    this.name = 'DnsLookupError';
  }
}

export interface CnameResolver {
  /** The CNAME targets of `name`, lower case without trailing dots. */
  resolveCname(name: string): Promise<string[]>;
}

/** Node's resolver pointed at `DNS_SERVERS` (host:port), or the system's when null. */
export function createCnameResolver(servers: string[] | null, timeoutMs = 2000): CnameResolver {
  const resolver = new Resolver({ timeout: timeoutMs, tries: 2 });
  if (servers) resolver.setServers(servers);
  return {
    async resolveCname(name) {
      try {
        const targets = await resolver.resolveCname(name);
        return targets.map((t) => t.toLowerCase().replace(/\.$/, ''));
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENODATA' || code === 'ENOTFOUND' || code === 'NXDOMAIN') {
          throw new DnsLookupError('not_found', 'CNAME record not found');
        }
        throw new DnsLookupError(
          'unreachable',
          `DNS lookup failed (${code ?? 'error'}); try again in a minute`,
        );
      }
    },
  };
}
