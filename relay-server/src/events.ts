import { EventEmitter } from 'node:events';

/** What changed in routing: the edge and the WireGuard server follow these. */
export interface RelayEventMap {
  /** An instance was created, changed (subdomain, key, port, status) or deleted. */
  'instance-changed': [{ instanceId: string }];
  /** A custom domain was added, verified, un-verified or deleted. */
  'domain-changed': [{ domain: string; instanceId: string }];
}

export class RelayEvents extends EventEmitter<RelayEventMap> {}
