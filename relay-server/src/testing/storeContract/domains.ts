import { beforeEach, describe, expect, it } from 'vitest';
import {
  StoreLimitError,
  type DomainRecord,
  type InstanceRecord,
  type Store,
} from '../../store/types.js';
import { expectConflict, rejection } from './refusals.js';
import { iso, records } from './records.js';

/** The contract's domains and release notices: one claim per name, the per-instance limit. */
export function describeDomainContract(store: () => Store): void {
  describe('domains', () => {
    let inst: InstanceRecord;
    beforeEach(async () => {
      inst = await store().instances.create(records.instance('usr_a'), { maxPerUser: 10 });
    });

    it('creates a domain and reads it back', async () => {
      const d = records.domain(inst);
      expect(await store().domains.create(d, { maxPerInstance: 5 })).toEqual(d);
      expect(await store().domains.get(d.domain)).toEqual(d);
      expect(await store().domains.get('nobody.example.test')).toBeNull();
    });

    it('refuses a domain another user already has, naming the field', async () => {
      const d = await store().domains.create(records.domain(inst), { maxPerInstance: 5 });
      const other = await store().instances.create(records.instance('usr_b'), { maxPerUser: 10 });
      await expectConflict(
        store().domains.create(records.domain(other, { domain: d.domain }), { maxPerInstance: 5 }),
        'domain',
      );
      expect(await store().domains.get(d.domain)).toEqual(d);
      expect(await store().domains.listByInstance(other.id)).toEqual([]);
    });

    it('refuses a domain past the per-instance limit with StoreLimitError', async () => {
      await store().domains.create(records.domain(inst), { maxPerInstance: 1 });
      const extra = records.domain(inst);
      const e = await rejection(store().domains.create(extra, { maxPerInstance: 1 }));
      expect(e).toBeInstanceOf(StoreLimitError);
      expect(e).toMatchObject({ what: 'domains', limit: 1 });
      expect(await store().domains.get(extra.domain)).toBeNull();
    });

    it('lets exactly the limit of 10 concurrent domain creates through', async () => {
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, () =>
          store().domains.create(records.domain(inst), { maxPerInstance: 5 }),
        ),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
      expect(await store().domains.listByInstance(inst.id)).toHaveLength(5);
    });

    it('lists an instance’s domains oldest first and all verified domains', async () => {
      const late = records.domain(inst, { createdAt: iso(9_000) });
      const early = records.domain(inst, {
        createdAt: iso(1_000),
        status: 'verified',
        verifiedAt: iso(2_000),
      });
      for (const d of [late, early]) await store().domains.create(d, { maxPerInstance: 5 });
      expect(await store().domains.listByInstance(inst.id)).toEqual([early, late]);
      expect(await store().domains.listVerified()).toEqual([early]);
    });

    it('updates a domain but never its name, instance or owner', async () => {
      const d = await store().domains.create(records.domain(inst), { maxPerInstance: 5 });
      const patch = {
        status: 'verified',
        verifiedAt: iso(5),
        instanceId: 'inst_x',
        userId: 'usr_x',
        domain: 'x.example.test',
        lastError: undefined,
      };
      const updated = await store().domains.update(d.domain, patch as Partial<DomainRecord>);
      const expected = { ...d, status: 'verified', verifiedAt: iso(5) };
      expect(updated).toEqual(expected);
      expect(await store().domains.get(d.domain)).toEqual(expected);
      expect(await store().domains.get('x.example.test')).toBeNull();
      expect(await store().domains.listByInstance('inst_x')).toEqual([]);
      expect(await store().domains.update('nobody.example.test', { lastError: 'x' })).toBeNull();
    });

    it('deletes a domain and frees its name', async () => {
      const d = await store().domains.create(records.domain(inst), { maxPerInstance: 1 });
      expect(await store().domains.delete(d.domain)).toEqual(d);
      expect(await store().domains.get(d.domain)).toBeNull();
      expect(await store().domains.delete(d.domain)).toBeNull();
      await store().domains.create(records.domain(inst, { domain: d.domain }), {
        maxPerInstance: 1,
      });
    });

    it('hands out copies of domains', async () => {
      const input = records.domain(inst);
      const expected = { ...input };
      const created = await store().domains.create(input, { maxPerInstance: 5 });
      input.status = 'verified';
      created.status = 'verified';
      (await store().domains.get(expected.domain))!.status = 'verified';
      (await store().domains.listByInstance(inst.id))[0]!.status = 'verified';
      expect(await store().domains.get(expected.domain)).toEqual(expected);
      expect(await store().domains.listVerified()).toEqual([]);
    });

    it('lists every pending claim oldest first, and no verified one', async () => {
      const other = await store().instances.create(records.instance('usr_b'), { maxPerUser: 10 });
      const late = records.domain(other, { createdAt: iso(9_000) });
      const early = records.domain(inst, { createdAt: iso(1_000) });
      const verified = records.domain(inst, { status: 'verified', verifiedAt: iso(2_000) });
      for (const d of [late, early, verified]) {
        await store().domains.create(d, { maxPerInstance: 5 });
      }
      expect(await store().domains.listPending()).toEqual([early, late]);
    });

    it('keeps optional fields such as expiresAt as given', async () => {
      const d = records.domain(inst, { expiresAt: iso(72 * 3_600_000) });
      await store().domains.create(d, { maxPerInstance: 5 });
      expect(await store().domains.get(d.domain)).toEqual(d);
      await store().domains.update(d.domain, { status: 'verified', expiresAt: null });
      expect(await store().domains.get(d.domain)).toMatchObject({ expiresAt: null });
    });

    it('releases a claim, leaving its instance a notice, and frees the name', async () => {
      const d = await store().domains.create(records.domain(inst), { maxPerInstance: 1 });
      const notice = records.release(d, {
        reason: 'expired',
        lastError: 'CNAME record not found',
      });
      await store().domains.release(d, notice);
      expect(await store().domains.get(d.domain)).toBeNull();
      expect(await store().domains.listByInstance(inst.id)).toEqual([]);
      expect(await store().domains.listReleases(inst.id)).toEqual([notice]);
      // The limit counts claims only: the notice does not hold a place.
      await store().domains.create(records.domain(inst), { maxPerInstance: 1 });
    });

    it('hands the name to a new claim in the same step, and refuses a stale or missing record', async () => {
      const d = await store().domains.create(records.domain(inst), { maxPerInstance: 5 });
      const other = await store().instances.create(records.instance('usr_b'), { maxPerUser: 10 });
      const claim = records.domain(other, { domain: d.domain, status: 'verified' });
      const notice = records.release(d);
      // Changed since it was read (verified meanwhile): nothing happens.
      const stale = { ...d, lastError: 'seen by an older check' };
      await expectConflict(
        store().domains.release(stale, notice, { record: claim, maxPerInstance: 5 }),
        'domain',
      );
      expect(await store().domains.get(d.domain)).toEqual(d);
      expect(await store().domains.listReleases(inst.id)).toEqual([]);

      await store().domains.release(d, notice, { record: claim, maxPerInstance: 5 });
      expect(await store().domains.get(d.domain)).toEqual(claim);
      expect(await store().domains.listByInstance(other.id)).toEqual([claim]);
      expect(await store().domains.listVerified()).toEqual([claim]);
      expect(await store().domains.listReleases(inst.id)).toEqual([notice]);
      // Released already: a second release of the same read is refused.
      await expectConflict(store().domains.release(d, notice), 'domain');
      expect(await store().domains.get(d.domain)).toEqual(claim);
    });

    it('lets exactly one of concurrent releases of one claim through', async () => {
      const d = await store().domains.create(records.domain(inst), { maxPerInstance: 5 });
      const claimants = [];
      for (const u of ['usr_b', 'usr_c', 'usr_d']) {
        claimants.push(await store().instances.create(records.instance(u), { maxPerUser: 10 }));
      }
      const results = await Promise.allSettled(
        claimants.map((c) =>
          store().domains.release(d, records.release(d), {
            record: records.domain(c, { domain: d.domain }),
            maxPerInstance: 5,
          }),
        ),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const winner = await store().domains.get(d.domain);
      expect(claimants.map((c) => c.id)).toContain(winner?.instanceId);
      expect(await store().domains.listReleases(inst.id)).toHaveLength(1);
    });

    it('refuses a new claim past its instance’s limit with StoreLimitError, changing nothing', async () => {
      const d = await store().domains.create(records.domain(inst), { maxPerInstance: 5 });
      const other = await store().instances.create(records.instance('usr_b'), { maxPerUser: 10 });
      await store().domains.create(records.domain(other), { maxPerInstance: 1 });
      const e = await rejection(
        store().domains.release(d, records.release(d), {
          record: records.domain(other, { domain: d.domain }),
          maxPerInstance: 1,
        }),
      );
      expect(e).toBeInstanceOf(StoreLimitError);
      expect(await store().domains.get(d.domain)).toEqual(d);
      expect(await store().domains.listReleases(inst.id)).toEqual([]);
    });

    it('drops an instance’s notice once it claims the name again, or when the notice is deleted', async () => {
      const d = await store().domains.create(records.domain(inst), { maxPerInstance: 5 });
      await store().domains.release(d, records.release(d));
      await store().domains.create(records.domain(inst, { domain: d.domain }), {
        maxPerInstance: 5,
      });
      expect(await store().domains.listReleases(inst.id)).toEqual([]);

      // Re-claimed by the same instance in the release itself: no notice at all.
      const again = (await store().domains.get(d.domain))!;
      const fresh = records.domain(inst, { domain: d.domain });
      await store().domains.release(again, records.release(again, { reason: 'expired' }), {
        record: fresh,
        maxPerInstance: 1,
      });
      expect(await store().domains.get(d.domain)).toEqual(fresh);
      expect(await store().domains.listReleases(inst.id)).toEqual([]);

      await store().domains.release(fresh, records.release(fresh));
      expect(await store().domains.listReleases(inst.id)).toHaveLength(1);
      expect(await store().domains.deleteRelease(inst.id, d.domain)).toMatchObject({
        domain: d.domain,
      });
      expect(await store().domains.listReleases(inst.id)).toEqual([]);
      expect(await store().domains.deleteRelease(inst.id, d.domain)).toBeNull();
    });

    it('lists an instance’s notices oldest first, one per name, and deletes them with it', async () => {
      const a = await store().domains.create(records.domain(inst), { maxPerInstance: 5 });
      const b = await store().domains.create(records.domain(inst), { maxPerInstance: 5 });
      const later = records.release(a, { releasedAt: iso(9_000) });
      const earlier = records.release(b, { releasedAt: iso(1_000) });
      await store().domains.release(a, later);
      await store().domains.release(b, earlier);
      expect(await store().domains.listReleases(inst.id)).toEqual([earlier, later]);
      expect(await store().domains.listReleases('inst_none')).toEqual([]);
      await store().instances.delete(inst.id);
      expect(await store().domains.listReleases(inst.id)).toEqual([]);
      expect(Object.keys((await store().dump()).domainReleases)).toEqual([]);
    });
  });
}
