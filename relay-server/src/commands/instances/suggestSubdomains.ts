import { RESERVED_SUBDOMAINS, Subdomain } from '@cloud-connect/agent-core/api';
import type { Store } from '../../store/types.js';

export function isReserved(subdomain: string): boolean {
  return RESERVED_SUBDOMAINS.has(subdomain);
}

/** Up to `count` variations of `subdomain` that are valid, not reserved and free right now. */
export async function suggestSubdomains(store: Store, subdomain: string, year: number, count = 3) {
  const base = subdomain.slice(0, 50).replace(/-+$/, '');
  const candidates = [
    `${base}1`,
    `${base}-share`,
    `${base}${year}`,
    `${base}2`,
    `${base}-app`,
    `my${base}`,
    `${base}-cloud`,
    `get${base}`,
    `${base}3`,
    `${base}-home`,
  ];
  for (let n = 4; n < 100; n++) candidates.push(`${base}${n}`);
  const out: string[] = [];
  for (const c of candidates) {
    if (out.length >= count) break;
    // The request schema is the one rule of what may be handed out (length, characters, xn--).
    if (Subdomain.safeParse(c).data !== c || isReserved(c) || out.includes(c)) continue;
    if (!(await store.instances.findBySubdomain(c))) out.push(c);
  }
  return out;
}
