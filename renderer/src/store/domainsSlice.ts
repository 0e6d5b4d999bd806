import type { DomainListItem } from '@cloud-connect/agent-core/api';
import { localValidationError } from './friendlyError.js';
import { failRequest, track } from './requests.js';
import type { SliceCreator } from './storeTypes.js';

export interface DomainsSlice {
  /** Custom domains per instance id, loaded when its domains screen opens. */
  domainsByInstance: Record<string, DomainListItem[]>;
  loadDomains(instanceId: string): Promise<void>;
  addDomain(instanceId: string, domain: string): Promise<boolean>;
  verifyDomain(instanceId: string, domain: string): Promise<boolean>;
  removeDomain(instanceId: string, domain: string): Promise<boolean>;
}

/** The request key of one domain's buttons. */
export function domainKey(instanceId: string, domain: string): string {
  return `${instanceId}/${domain}`;
}

export const createDomainsSlice: SliceCreator<DomainsSlice> = (set, get, deps) => {
  function update(instanceId: string, change: (list: DomainListItem[]) => DomainListItem[]) {
    set((s) => ({
      domainsByInstance: {
        ...s.domainsByInstance,
        [instanceId]: change(s.domainsByInstance[instanceId] ?? []),
      },
    }));
  }

  return {
    domainsByInstance: {},

    loadDomains: async (instanceId) => {
      const result = await track(set, `loadDomains:${instanceId}`, () =>
        deps.api.listDomains(instanceId),
      );
      if (result.ok) update(instanceId, () => result.value);
    },

    addDomain: async (instanceId, domain) => {
      const key = `addDomain:${instanceId}` as const;
      const name = domain.trim().toLowerCase().replace(/\.$/, '');
      if (!name) {
        failRequest(
          set,
          key,
          localValidationError({ domain: 'Enter a domain such as share.example.com.' }),
        );
        return false;
      }
      const result = await track(set, key, () => deps.api.addDomain(instanceId, name));
      if (!result.ok) return false;
      const added: DomainListItem = {
        domain: result.value.domain,
        status: result.value.status,
        ssl_status: 'pending',
        verified_at: null,
        verification: result.value.verification,
        error: null,
        expires_at: result.value.expires_at ?? null,
      };
      // The new claim replaces a `released` entry of the same name.
      update(instanceId, (list) => [...list.filter((d) => d.domain !== added.domain), added]);
      // A name taken over by DNS is verified at once: the list has its certificate state.
      if (added.status === 'verified') await get().loadDomains(instanceId);
      return true;
    },

    verifyDomain: async (instanceId, domain) => {
      const result = await track(set, `verifyDomain:${domainKey(instanceId, domain)}`, () =>
        deps.api.verifyDomain(instanceId, domain),
      );
      if (!result.ok) {
        // The failed check is recorded on the domain too (its `error`): show the stored reason.
        if (result.code === 'DNS_VERIFICATION_FAILED') await get().loadDomains(instanceId);
        return false;
      }
      const { status, ssl_status: ssl, error } = result.value;
      update(instanceId, (list) =>
        list.map((d) =>
          d.domain === domain
            ? { ...d, status, ssl_status: ssl ?? d.ssl_status, error: error ?? null }
            : d,
        ),
      );
      if (status === 'verified') {
        get().showFlash('success', `${domain} is verified.`);
        await get().loadDomains(instanceId);
        void get().loadInstances();
      }
      return status === 'verified';
    },

    removeDomain: async (instanceId, domain) => {
      const released = (get().domainsByInstance[instanceId] ?? []).some(
        (d) => d.domain === domain && d.status === 'released',
      );
      const result = await track(set, `removeDomain:${domainKey(instanceId, domain)}`, () =>
        deps.api.removeDomain(instanceId, domain),
      );
      if (!result.ok) return false;
      update(instanceId, (list) => list.filter((d) => d.domain !== domain));
      // Removing a released entry only dismisses the notice: the name was gone already.
      if (!released) get().showFlash('success', `${domain} was removed.`);
      return true;
    },
  };
};
