import { randomInt } from 'node:crypto';
import type { RequestOf } from '@cloud-connect/agent-core/api';
import { effectivePlan, PLAN_LIMITS } from '../../billing/plans.js';
import { AppError } from '../../errors/appError.js';
import { newId } from '../../ids.js';
import { fullDomain } from '../../presenters/instance.js';
import type { Services } from '../../services.js';
import {
  StoreConflictError,
  StoreLimitError,
  type InstanceRecord,
  type UserRecord,
} from '../../store/types.js';
import { randomId } from '../../tokens/tokens.js';
import {
  clientAddressAt,
  clientAddresses,
  clientCount,
  serverAddress,
  type Cidr,
} from '../../tunnelAddresses/cidr.js';
import { isReserved } from './suggestSubdomains.js';
import { subdomainTaken } from './subdomainTaken.js';

/** Tries to reserve a tunnel address before giving up with 503 (each retry re-reads the pool). */
const IP_ATTEMPTS = 10;
/** Random picks on a retry before walking the pool (a nearly full pool has few free ones). */
const RANDOM_PROBES = 32;

/**
 * A free address of the pool. The first try takes the lowest one, so addresses are handed out
 * in order. Creates that raced for the same address retry with a random free one, so a crowd
 * of them spreads out instead of colliding again on the next lowest.
 */
function pickTunnelIp(pool: Cidr, used: Set<string>, lowest: boolean): string | undefined {
  const count = clientCount(pool);
  if (!lowest) {
    for (let probe = 0; probe < RANDOM_PROBES; probe++) {
      const ip = clientAddressAt(pool, randomInt(count));
      if (!used.has(ip)) return ip;
    }
  }
  // An almost full pool (or the first try): walk it for a free address.
  const start = lowest ? 0 : randomInt(count);
  for (const ip of clientAddresses(pool, start)) if (!used.has(ip)) return ip;
  return undefined;
}

export function limitExceeded(
  user: UserRecord,
  what: 'instances' | 'domains',
  limit: number,
): AppError {
  const plan = effectivePlan(user);
  const hint = plan === 'business' ? 'Remove one first.' : 'Upgrade your plan or remove one first.';
  const per = what === 'domains' ? ' per instance' : '';
  return new AppError(
    'LIMIT_EXCEEDED',
    `Your ${plan} plan allows ${limit} ${what}${per}. ${hint}`,
    {
      plan,
      limit,
      resource: what,
    },
  );
}

/** The WireGuard part of the credentials: the client dials the server and reaches only it. */
export function wireguardCredentials(
  deps: Pick<Services, 'config' | 'wireguard'>,
  instance: InstanceRecord,
) {
  return {
    server_public_key: deps.wireguard.publicKey,
    server_endpoint: deps.config.wgEndpoint,
    client_ip: `${instance.tunnelIp}/32`,
    allowed_ips: `${serverAddress(deps.config.tunnelCidr)}/32`,
  };
}

/**
 * Create an instance for a verified user within the plan's limit: a unique subdomain, a
 * stable tunnel IP from the pool, and an instance token shown in this answer only.
 */
export async function createInstance(
  deps: Services,
  user: UserRecord,
  input: RequestOf<'createInstance'>['body'],
) {
  if (!user.emailVerifiedAt) {
    throw new AppError(
      'EMAIL_NOT_VERIFIED',
      'Confirm your email address first: open the link we sent you',
      {
        email: user.email,
      },
    );
  }
  if (
    isReserved(input.subdomain) ||
    (await deps.store.instances.findBySubdomain(input.subdomain))
  ) {
    throw await subdomainTaken(deps, input.subdomain);
  }
  const limit = PLAN_LIMITS[effectivePlan(user)].instances;
  if ((await deps.store.instances.countByUser(user.id)) >= limit)
    throw limitExceeded(user, 'instances', limit);

  const now = deps.clock.now().toISOString();
  const pool = deps.config.tunnelCidr;
  for (let attempt = 0; attempt < IP_ATTEMPTS; attempt++) {
    const used = await deps.store.instances.usedTunnelIps();
    const tunnelIp = pickTunnelIp(pool, used, attempt === 0);
    if (!tunnelIp) {
      deps.logger.error({ cidr: pool.text }, 'tunnel address pool exhausted');
      throw new AppError(
        'SERVICE_UNAVAILABLE',
        'No tunnel addresses are left on this relay; contact support',
      );
    }
    try {
      const instance = await deps.store.instances.create(
        {
          id: newId('inst'),
          userId: user.id,
          name: input.name,
          subdomain: input.subdomain,
          tunnelIp,
          tokenId: randomId(),
          publicKey: null,
          targetPort: null,
          status: 'pending',
          registeredAt: null,
          lastSeen: null,
          createdAt: now,
        },
        { maxPerUser: limit },
      );
      deps.events.emit('instance-changed', { instanceId: instance.id });
      return {
        instance: {
          id: instance.id,
          name: instance.name,
          subdomain: instance.subdomain,
          full_domain: fullDomain(instance, deps.config.baseDomain),
          status: instance.status,
          tunnel_ip: instance.tunnelIp,
          created_at: instance.createdAt,
        },
        credentials: {
          instance_token: await deps.tokens.signInstance(instance.id, user.id, instance.tokenId),
          wireguard: wireguardCredentials(deps, instance),
        },
      };
    } catch (e) {
      if (e instanceof StoreConflictError && e.field === 'subdomain')
        throw await subdomainTaken(deps, input.subdomain);
      if (e instanceof StoreLimitError) throw limitExceeded(user, 'instances', e.limit);
      if (e instanceof StoreConflictError && e.field === 'tunnelIp') continue; // raced for the same IP
      throw e;
    }
  }
  throw new AppError('SERVICE_UNAVAILABLE', 'Could not reserve a tunnel address; try again');
}
