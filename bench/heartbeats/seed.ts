import { randomBytes } from 'node:crypto';
import { PLAN_LIMITS } from '../../relay-server/src/billing/plans.js';
import { newId } from '../../relay-server/src/ids.js';
import { argon2Hasher } from '../../relay-server/src/passwords/passwords.js';
import { LowdbStore } from '../../relay-server/src/store/lowdbStore.js';
import type { InstanceRecord, UserRecord } from '../../relay-server/src/store/types.js';
import { randomId, TokenService } from '../../relay-server/src/tokens/tokens.js';
import { clientAddressAt, parseCidr } from '../../relay-server/src/tunnelAddresses/cidr.js';

/** The relay's default tunnel pool; the seeded instances take its first addresses. */
const TUNNEL_CIDR = '10.100.0.0/16';

export interface SeededInstance {
  id: string;
  token: string;
  /** Its public host's first label. */
  subdomain: string;
}

/**
 * Fill a fresh data dir, through the Store interface, with `count` registered instances
 * owned by Business users (10 each, the plan's limit), as if each had been created and had
 * registered its WireGuard key. Returns each instance's token, signed with the relay's
 * TokenService under `secret` (the relay started later gets the same RELAY_SECRET). Their
 * tunnel IPs come from `tunnelCidr` (the relay's TUNNEL_CIDR).
 */
export async function seedInstances(
  dataDir: string,
  secret: string,
  count: number,
  tunnelCidr = TUNNEL_CIDR,
): Promise<SeededInstance[]> {
  const pool = parseCidr(tunnelCidr);
  const store = await LowdbStore.open(dataDir);
  const tokens = new TokenService(secret);
  // One real hash for every user: nobody signs in during the benchmark.
  const passwordHash = await argon2Hasher.hash(randomBytes(16).toString('hex'));
  const perUser = PLAN_LIMITS.business.instances;
  const now = new Date().toISOString();
  const seeded: SeededInstance[] = [];
  try {
    for (let u = 0; u * perUser < count; u++) {
      const user: UserRecord = {
        id: newId('usr'),
        email: `bench${u}@example.test`,
        name: `Bench ${u}`,
        passwordHash,
        createdAt: now,
        emailVerifiedAt: now,
        acceptMarketing: false,
        termsAcceptedAt: now,
        clientVersion: null,
        stripeCustomerId: `cus_bench${u}`,
        subscription: {
          id: `sub_bench${u}`,
          status: 'active',
          priceId: 'price_business',
          plan: 'business',
          currentPeriodStart: now,
          currentPeriodEnd: new Date(Date.now() + 30 * 86_400_000).toISOString(),
          cancelAtPeriodEnd: false,
          paymentMethodId: null,
          paymentMethod: null,
          sourceEventCreated: 0,
        },
      };
      await store.users.create(user);
      const batch = Array.from({ length: Math.min(perUser, count - u * perUser) }, (_, k) => {
        const n = u * perUser + k;
        const instance: InstanceRecord = {
          id: newId('inst'),
          userId: user.id,
          name: `Bench instance ${n}`,
          subdomain: `bench${n}`,
          tunnelIp: clientAddressAt(pool, n),
          tokenId: randomId(),
          publicKey: randomBytes(32).toString('base64'),
          targetPort: 80,
          status: 'connected',
          registeredAt: now,
          lastSeen: now,
          createdAt: now,
        };
        return instance;
      });
      await Promise.all(
        batch.map(async (instance) => {
          await store.instances.create(instance, { maxPerUser: perUser });
          seeded.push({
            id: instance.id,
            subdomain: instance.subdomain,
            token: await tokens.signInstance(instance.id, user.id, instance.tokenId),
          });
        }),
      );
    }
  } finally {
    await store.close();
  }
  return seeded;
}
