import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../store/types.js';
import { describeAccountContract } from './accounts.js';
import { describeDomainContract } from './domains.js';
import { describeInstanceContract } from './instances.js';
import { iso, records } from './records.js';

export { records } from './records.js';

/** A store under test and how to throw it away (close it, remove its files or schema). */
export interface StoreFixture {
  store: Store;
  dispose(): Promise<void>;
}

/**
 * The behaviour every Store must have, as a vitest suite. Run it with a function that opens
 * a fresh, empty store: `describeStoreContract('LowdbStore', async () => …)`. A PostgreSQL
 * store passes when this suite passes against it unchanged.
 */
export function describeStoreContract(name: string, openStore: () => Promise<StoreFixture>) {
  describe(`Store contract: ${name}`, () => {
    let fixture: StoreFixture;
    let store: Store;
    beforeEach(async () => {
      fixture = await openStore();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.dispose();
    });

    const current = () => store;
    describeAccountContract(current);
    describeInstanceContract(current);
    describeDomainContract(current);

    describe('webhook events', () => {
      it('remembers processed event ids, and recording one again keeps the first', async () => {
        expect(await store.webhookEvents.has('evt_1')).toBe(false);
        await store.webhookEvents.record({ id: 'evt_1', type: 'a', processedAt: iso(1) });
        expect(await store.webhookEvents.has('evt_1')).toBe(true);
        expect(await store.webhookEvents.has('evt_2')).toBe(false);
        await store.webhookEvents.record({ id: 'evt_1', type: 'a', processedAt: iso(2) });
        expect((await store.dump()).webhookEvents['evt_1']?.processedAt).toBe(iso(1));
      });
    });

    describe('whole store', () => {
      it('answers ping while open', async () => {
        await expect(store.ping()).resolves.toBeUndefined();
      });

      it('dumps a copy of everything', async () => {
        const u = await store.users.create(records.user());
        const i = await store.instances.create(records.instance(u.id), { maxPerUser: 10 });
        const dump = await store.dump();
        expect(dump.users[u.id]).toEqual(u);
        expect(dump.instances[i.id]).toEqual(i);
        dump.users[u.id]!.name = 'changed';
        delete dump.instances[i.id];
        expect(await store.users.get(u.id)).toEqual(u);
        expect(await store.instances.get(i.id)).toEqual(i);
      });
    });
  });
}
