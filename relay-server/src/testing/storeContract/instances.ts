import { describe, expect, it } from 'vitest';
import {
  StoreConflictError,
  StoreLimitError,
  type InstanceRecord,
  type Store,
} from '../../store/types.js';
import { expectConflict, rejection } from './refusals.js';
import { iso, key, records } from './records.js';

/** The contract's instances: unique subdomain, tunnel IP and key; the per-user limit. */
export function describeInstanceContract(store: () => Store): void {
  describe('instances', () => {
    it('creates an instance and finds it by id, subdomain and tunnel IP', async () => {
      const i = records.instance('usr_a');
      expect(await store().instances.create(i, { maxPerUser: 10 })).toEqual(i);
      expect(await store().instances.get(i.id)).toEqual(i);
      expect(await store().instances.findBySubdomain(i.subdomain)).toEqual(i);
      expect(await store().instances.findByTunnelIp(i.tunnelIp)).toEqual(i);
      expect(await store().instances.count()).toBe(1);
    });

    it('answers null for unknown ids, subdomains and tunnel IPs', async () => {
      expect(await store().instances.get('inst_nobody')).toBeNull();
      expect(await store().instances.findBySubdomain('nobody')).toBeNull();
      expect(await store().instances.findByTunnelIp('10.99.99.99')).toBeNull();
      expect(await store().instances.update('inst_nobody', { name: 'x' })).toBeNull();
      expect(await store().instances.touch('inst_nobody', iso(1))).toBeNull();
      expect(await store().instances.delete('inst_nobody')).toBeNull();
    });

    it('refuses a taken subdomain, tunnel IP or public key, naming the field', async () => {
      const a = await store().instances.create(records.instance('usr_a', { publicKey: key(1) }), {
        maxPerUser: 10,
      });
      const cases: Array<[Partial<InstanceRecord>, string]> = [
        [{ subdomain: a.subdomain }, 'subdomain'],
        [{ tunnelIp: a.tunnelIp }, 'tunnelIp'],
        [{ publicKey: key(1) }, 'publicKey'],
        [{ id: a.id }, 'id'],
      ];
      for (const [over, field] of cases) {
        const dup = records.instance('usr_b', over);
        await expectConflict(store().instances.create(dup, { maxPerUser: 10 }), field);
      }
      expect(await store().instances.count()).toBe(1);
      expect(await store().instances.countByUser('usr_b')).toBe(0);
      expect(await store().instances.get(a.id)).toEqual(a);
    });

    it('refuses an instance past the per-user limit with StoreLimitError, per user', async () => {
      for (let n = 0; n < 2; n++) {
        await store().instances.create(records.instance('usr_a'), { maxPerUser: 2 });
      }
      const e = await rejection(
        store().instances.create(records.instance('usr_a'), { maxPerUser: 2 }),
      );
      expect(e).toBeInstanceOf(StoreLimitError);
      expect(e).toMatchObject({ what: 'instances', limit: 2 });
      expect(await store().instances.countByUser('usr_a')).toBe(2);
      await store().instances.create(records.instance('usr_b'), { maxPerUser: 2 });
      expect(await store().instances.countByUser('usr_b')).toBe(1);
    });

    it('lets exactly one of 50 concurrent creates of one subdomain win', async () => {
      const results = await Promise.allSettled(
        Array.from({ length: 50 }, (_, n) =>
          store().instances.create(records.instance(`usr_${n}`, { subdomain: 'contested' }), {
            maxPerUser: 10,
          }),
        ),
      );
      const won = results.filter((r) => r.status === 'fulfilled');
      expect(won).toHaveLength(1);
      for (const r of results) {
        if (r.status === 'rejected') {
          expect(r.reason).toBeInstanceOf(StoreConflictError);
          expect((r.reason as StoreConflictError).field).toBe('subdomain');
        }
      }
      expect(await store().instances.count()).toBe(1);
    });

    it('lets exactly the limit of 20 concurrent creates for one user through', async () => {
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, () =>
          store().instances.create(records.instance('usr_a'), { maxPerUser: 3 }),
        ),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
      for (const r of results) {
        if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(StoreLimitError);
      }
      expect(await store().instances.countByUser('usr_a')).toBe(3);
    });

    it('lists a user’s instances oldest first and counts them', async () => {
      const late = records.instance('usr_a', { createdAt: iso(3_000) });
      const early = records.instance('usr_a', { createdAt: iso(1_000) });
      const other = records.instance('usr_b');
      for (const i of [late, early, other]) await store().instances.create(i, { maxPerUser: 10 });
      expect(await store().instances.listByUser('usr_a')).toEqual([early, late]);
      expect(await store().instances.countByUser('usr_a')).toBe(2);
      expect(await store().instances.listByUser('usr_nobody')).toEqual([]);
      expect(await store().instances.countByUser('usr_nobody')).toBe(0);
      expect(await store().instances.count()).toBe(3);
    });

    it('renames and re-keys an instance, moving its unique values', async () => {
      const i = await store().instances.create(records.instance('usr_a'), { maxPerUser: 10 });
      const updated = await store().instances.update(i.id, {
        name: 'Renamed',
        subdomain: 'moved',
        publicKey: key(2),
        name_unknown: undefined,
      } as Partial<InstanceRecord>);
      const expected = { ...i, name: 'Renamed', subdomain: 'moved', publicKey: key(2) };
      expect(updated).toEqual(expected);
      expect(await store().instances.get(i.id)).toEqual(expected);
      expect(await store().instances.findBySubdomain(i.subdomain)).toBeNull();
      expect(await store().instances.findBySubdomain('moved')).toEqual(expected);
      // The old subdomain is free for anyone now.
      await store().instances.create(records.instance('usr_b', { subdomain: i.subdomain }), {
        maxPerUser: 10,
      });
    });

    it('keeps an instance’s own unique values on update and never changes id or owner', async () => {
      const i = await store().instances.create(records.instance('usr_a', { publicKey: key(3) }), {
        maxPerUser: 10,
      });
      const patch = { subdomain: i.subdomain, publicKey: key(3), userId: 'usr_x', id: 'inst_x' };
      const updated = await store().instances.update(i.id, patch as Partial<InstanceRecord>);
      expect(updated).toEqual(i);
      expect(await store().instances.listByUser('usr_x')).toEqual([]);
      expect(await store().instances.get('inst_x')).toBeNull();
    });

    it('refuses an update to another instance’s subdomain, tunnel IP or key and changes nothing', async () => {
      const a = await store().instances.create(records.instance('usr_a', { publicKey: key(4) }), {
        maxPerUser: 10,
      });
      const b = await store().instances.create(records.instance('usr_b'), { maxPerUser: 10 });
      const cases: Array<[Partial<InstanceRecord>, string]> = [
        [{ subdomain: a.subdomain }, 'subdomain'],
        [{ tunnelIp: a.tunnelIp }, 'tunnelIp'],
        [{ publicKey: key(4) }, 'publicKey'],
      ];
      for (const [patch, field] of cases) {
        await expectConflict(store().instances.update(b.id, { ...patch, name: 'X' }), field);
      }
      expect(await store().instances.get(b.id)).toEqual(b);
      expect(await store().instances.findBySubdomain(a.subdomain)).toEqual(a);
    });

    it('touch sets last seen and status connected and nothing else', async () => {
      const i = await store().instances.create(
        records.instance('usr_a', { status: 'disconnected', publicKey: key(5) }),
        { maxPerUser: 10 },
      );
      const touched = await store().instances.touch(i.id, iso(42));
      const expected = { ...i, lastSeen: iso(42), status: 'connected' };
      expect(touched).toEqual(expected);
      expect(await store().instances.get(i.id)).toEqual(expected);
      touched!.lastSeen = iso(0);
      expect(await store().instances.get(i.id)).toEqual(expected);
      // The unique values are still held after a touch.
      const dup = records.instance('usr_b', { subdomain: i.subdomain });
      await expectConflict(store().instances.create(dup, { maxPerUser: 10 }), 'subdomain');
    });

    it('keeps the latest of many concurrent touches', async () => {
      const i = await store().instances.create(records.instance('usr_a'), { maxPerUser: 10 });
      await Promise.all(
        Array.from({ length: 200 }, (_, n) => store().instances.touch(i.id, iso(n))),
      );
      expect((await store().instances.get(i.id))?.lastSeen).toBe(iso(199));
    });

    it('deletes an instance with its domains and frees its subdomain, IP and key', async () => {
      const i = await store().instances.create(records.instance('usr_a', { publicKey: key(6) }), {
        maxPerUser: 10,
      });
      const keep = await store().instances.create(records.instance('usr_a'), { maxPerUser: 10 });
      const d1 = await store().domains.create(records.domain(i), { maxPerInstance: 5 });
      const d2 = await store().domains.create(records.domain(i), { maxPerInstance: 5 });
      const kept = await store().domains.create(records.domain(keep), { maxPerInstance: 5 });
      const deleted = await store().instances.delete(i.id);
      expect(deleted?.instance).toEqual(i);
      expect(deleted?.domains.map((d) => d.domain).sort()).toEqual([d1.domain, d2.domain].sort());
      expect(await store().instances.get(i.id)).toBeNull();
      expect(await store().domains.get(d1.domain)).toBeNull();
      expect(await store().domains.listByInstance(i.id)).toEqual([]);
      expect(await store().domains.get(kept.domain)).toEqual(kept);
      expect(await store().instances.countByUser('usr_a')).toBe(1);
      expect((await store().instances.usedTunnelIps()).has(i.tunnelIp)).toBe(false);
      expect(await store().instances.delete(i.id)).toBeNull();
      const reuse = records.instance('usr_b', {
        subdomain: i.subdomain,
        tunnelIp: i.tunnelIp,
        publicKey: key(6),
      });
      await store().instances.create(reuse, { maxPerUser: 10 });
      await store().domains.create(records.domain(reuse, { domain: d1.domain }), {
        maxPerInstance: 5,
      });
    });

    it('reports every tunnel IP in use in a set the caller may change', async () => {
      const a = await store().instances.create(records.instance('usr_a'), { maxPerUser: 10 });
      const b = await store().instances.create(records.instance('usr_b'), { maxPerUser: 10 });
      const used = await store().instances.usedTunnelIps();
      expect([...used].sort()).toEqual([a.tunnelIp, b.tunnelIp].sort());
      used.clear();
      used.add('10.1.1.1');
      expect([...(await store().instances.usedTunnelIps())].sort()).toEqual(
        [a.tunnelIp, b.tunnelIp].sort(),
      );
    });

    it('lists only instances with a registered key', async () => {
      await store().instances.create(records.instance('usr_a'), { maxPerUser: 10 });
      const reg = await store().instances.create(records.instance('usr_a', { publicKey: key(7) }), {
        maxPerUser: 10,
      });
      expect(await store().instances.listRegistered()).toEqual([reg]);
    });

    it('hands out copies of instances', async () => {
      const input = records.instance('usr_a');
      const expected = { ...input };
      const created = await store().instances.create(input, { maxPerUser: 10 });
      input.name = 'changed argument';
      created.name = 'changed result';
      (await store().instances.get(expected.id))!.name = 'changed get';
      (await store().instances.listByUser('usr_a'))[0]!.name = 'changed list';
      (await store().instances.findBySubdomain(expected.subdomain))!.name = 'changed find';
      expect(await store().instances.get(expected.id)).toEqual(expected);
    });
  });
}
