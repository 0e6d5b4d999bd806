import type { InstanceListItem } from '@cloud-connect/agent-core/api';
import { localValidationError } from './friendlyError.js';
import { failRequest, track } from './requests.js';
import type { SliceCreator } from './storeTypes.js';

/** The live check of the subdomain typed into the create form. */
export type SubdomainCheck =
  | { state: 'idle' }
  | { state: 'invalid'; subdomain: string; message: string }
  | { state: 'checking'; subdomain: string }
  | { state: 'available'; subdomain: string }
  | { state: 'taken' | 'reserved'; subdomain: string; suggestions: string[] }
  | { state: 'failed'; subdomain: string; message: string };

/** An instance token to show once: just created or regenerated. */
export interface RevealedToken {
  instanceId: string;
  instanceName: string;
  token: string;
  reason: 'created' | 'regenerated';
}

export interface InstancesSlice {
  instances: InstanceListItem[];
  instancesLoaded: boolean;
  subdomainCheck: SubdomainCheck;
  revealedToken: RevealedToken | null;
  loadInstances(): Promise<void>;
  /** Debounced: checks availability once typing pauses; stale answers are dropped. */
  requestSubdomainCheck(value: string): void;
  createInstance(input: { name: string; subdomain: string }): Promise<boolean>;
  renameInstance(id: string, name: string): Promise<boolean>;
  deleteInstance(id: string): Promise<boolean>;
  regenerateInstanceToken(id: string): Promise<boolean>;
  /** Forget the token shown once (the keychain keeps it). */
  dismissRevealedToken(): void;
}

// Mirrors agent-core's SUBDOMAIN_PATTERN (DNS label, 3–63 chars); the relay has the final say.
const SUBDOMAIN = /^[a-z0-9](?:[a-z0-9-]{1,61})[a-z0-9]$/;
const DEFAULT_CHECK_DELAY_MS = 350;

/** Why a subdomain cannot be used, in words, or null when its form is fine. */
export function subdomainProblem(subdomain: string): string | null {
  if (subdomain.length < 3) return 'Use at least 3 characters.';
  if (subdomain.length > 63) return 'Use at most 63 characters.';
  if (!SUBDOMAIN.test(subdomain))
    return 'Use only letters a–z, digits and hyphens, and do not start or end with a hyphen.';
  // Reserved for internationalised names (xn--…), which can imitate a brand (RFC 5891).
  if (subdomain.slice(2, 4) === '--') return 'Do not put hyphens in both the 3rd and 4th places.';
  return null;
}

export const createInstancesSlice: SliceCreator<InstancesSlice> = (set, get, deps) => {
  let checkTimer: ReturnType<typeof setTimeout> | null = null;
  let checkRun = 0;

  async function runCheck(subdomain: string, run: number): Promise<void> {
    const result = await deps.api.checkSubdomain(subdomain);
    if (run !== checkRun) return;
    if (!result.ok) {
      set({
        subdomainCheck: {
          state: 'failed',
          subdomain,
          message: 'Could not check this name right now.',
        },
      });
    } else if (result.value.available) {
      set({ subdomainCheck: { state: 'available', subdomain } });
    } else {
      set({
        subdomainCheck: {
          state: result.value.reason === 'reserved' ? 'reserved' : 'taken',
          subdomain,
          suggestions: result.value.suggestions ?? [],
        },
      });
    }
  }

  return {
    instances: [],
    instancesLoaded: false,
    subdomainCheck: { state: 'idle' },
    revealedToken: null,

    loadInstances: async () => {
      const result = await track(set, 'loadInstances', () => deps.api.listInstances());
      if (result.ok) set({ instances: result.value, instancesLoaded: true });
    },

    requestSubdomainCheck: (value) => {
      const subdomain = value.trim().toLowerCase();
      const run = ++checkRun;
      if (checkTimer) clearTimeout(checkTimer);
      checkTimer = null;
      if (!subdomain) {
        set({ subdomainCheck: { state: 'idle' } });
        return;
      }
      const problem = subdomainProblem(subdomain);
      if (problem) {
        set({ subdomainCheck: { state: 'invalid', subdomain, message: problem } });
        return;
      }
      set({ subdomainCheck: { state: 'checking', subdomain } });
      checkTimer = setTimeout(() => {
        checkTimer = null;
        void runCheck(subdomain, run);
      }, deps.subdomainCheckDelayMs ?? DEFAULT_CHECK_DELAY_MS);
    },

    createInstance: async ({ name, subdomain }) => {
      const fields: Record<string, string> = {};
      const cleanName = name.trim();
      const cleanSubdomain = subdomain.trim().toLowerCase();
      if (!cleanName) fields.name = 'Give the instance a name.';
      const problem = cleanSubdomain ? subdomainProblem(cleanSubdomain) : 'Choose a subdomain.';
      if (problem) fields.subdomain = problem;
      if (Object.keys(fields).length > 0) {
        failRequest(set, 'createInstance', localValidationError(fields));
        return false;
      }
      const result = await track(set, 'createInstance', () =>
        deps.api.createInstance({ name: cleanName, subdomain: cleanSubdomain }),
      );
      if (!result.ok) {
        // Someone took it since the last check: fetch fresh suggestions to offer.
        if (result.code === 'SUBDOMAIN_TAKEN') {
          checkRun++;
          await runCheck(cleanSubdomain, checkRun);
        }
        return false;
      }
      const { instance, instance_token: token } = result.value;
      set((s) => ({
        instances: [
          ...s.instances.filter((i) => i.id !== instance.id),
          {
            id: instance.id,
            name: instance.name,
            subdomain: instance.subdomain,
            custom_domain: null,
            status: instance.status,
            tunnel_ip: instance.tunnel_ip,
            last_seen: null,
            created_at: instance.created_at,
          },
        ],
        subdomainCheck: { state: 'idle' },
        revealedToken: {
          instanceId: instance.id,
          instanceName: instance.name,
          token,
          reason: 'created',
        },
      }));
      return true;
    },

    renameInstance: async (id, name) => {
      const key = `renameInstance:${id}` as const;
      if (!name.trim()) {
        failRequest(set, key, localValidationError({ name: 'Give the instance a name.' }));
        return false;
      }
      const result = await track(set, key, () =>
        deps.api.updateInstance(id, { name: name.trim() }),
      );
      if (!result.ok) return false;
      set((s) => ({
        instances: s.instances.map((i) =>
          i.id === id ? { ...i, name: result.value.name, subdomain: result.value.subdomain } : i,
        ),
      }));
      return true;
    },

    deleteInstance: async (id) => {
      const result = await track(set, `deleteInstance:${id}`, () => deps.api.deleteInstance(id));
      if (!result.ok) return false;
      const name = get().instances.find((i) => i.id === id)?.name ?? 'The instance';
      set((s) => {
        const { [id]: _removed, ...domains } = s.domainsByInstance;
        return { instances: s.instances.filter((i) => i.id !== id), domainsByInstance: domains };
      });
      get().showFlash('success', `${name} was deleted.`);
      return true;
    },

    regenerateInstanceToken: async (id) => {
      const result = await track(set, `regenerateToken:${id}`, () =>
        deps.api.regenerateInstanceToken(id),
      );
      if (!result.ok) return false;
      const instance = get().instances.find((i) => i.id === id);
      set({
        revealedToken: {
          instanceId: id,
          instanceName: instance?.name ?? id,
          token: result.value.instance_token,
          reason: 'regenerated',
        },
      });
      return true;
    },

    dismissRevealedToken: () => set({ revealedToken: null }),
  };
};
