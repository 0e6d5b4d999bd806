import type {
  ConnectionInput,
  ConnectionKind,
  ConnectionPatch,
  ConnectionView,
  DockerView,
  RelayTransport,
  TestConnectionInput,
} from '@cloud-connect/agent-core/desktop';
import type { TunnelTestResult } from './apiTypes.js';
import { localValidationError } from './friendlyError.js';
import { failRequest, track } from './requests.js';
import type { SliceCreator } from './storeTypes.js';

/** What the connection form holds. Secrets are only sent when typed (blank keeps the stored one). */
export interface ConnectionDraft {
  kind: ConnectionKind;
  name: string;
  /** Relay: the instance the tunnel serves. */
  instanceId: string;
  /** Relay: only for an instance whose token is not in this computer's keychain. */
  instanceToken: string;
  /** Relay: how the tunnel reaches the relay (`auto` unless the user chose). */
  transport: RelayTransport;
  /** Cloudflare: the tunnel token. */
  token: string;
  /** `http://localhost:8080`, from a Docker container or typed. */
  target: string;
  enabled: boolean;
}

/** The request key of the form's Test button before the connection is saved. */
export const DRAFT_TEST = 'draft';

export interface ConnectionsSlice {
  connections: ConnectionView[];
  connectionsLoaded: boolean;
  /** When each connection's status arrived (ms), so uptime can tick on locally. */
  statusReceivedAt: Record<string, number>;
  /** The latest test result per connection id, or DRAFT_TEST for the unsaved form. */
  testResults: Record<string, TunnelTestResult>;
  docker: DockerView | null;
  loadConnections(): Promise<void>;
  /** Takes the full list pushed by `onConnections`. */
  applyConnections(connections: ConnectionView[]): void;
  /** Adds (id null) or updates a connection; resolves to the saved one or null. */
  saveConnection(draft: ConnectionDraft, id: string | null): Promise<ConnectionView | null>;
  removeConnection(id: string): Promise<boolean>;
  connect(id: string): Promise<boolean>;
  disconnect(id: string): Promise<boolean>;
  /** Seed 000 P13-2.4: tries a saved connection, or the form's Cloudflare token. */
  testConnection(key: string, input: TestConnectionInput): Promise<TunnelTestResult | null>;
  /** The form's Test button: the Cloudflare token typed into it, else the saved connection. */
  testDraft(draft: ConnectionDraft, id: string | null): Promise<TunnelTestResult | null>;
  clearTestResult(key: string): void;
  loadContainers(): Promise<void>;
}

const URL_TARGET = /^(https?|tcp):\/\/[^\s/]+(:\d{1,5})?(\/.*)?$/;

/** Problems with a draft the user can fix before anything is sent. */
export function draftProblems(draft: ConnectionDraft, editing: boolean): Record<string, string> {
  const fields: Record<string, string> = {};
  if (!draft.name.trim()) fields.name = 'Give the connection a name.';
  const target = draft.target.trim();
  if (draft.kind === 'relay') {
    if (!editing && !draft.instanceId) fields.instanceId = 'Choose the instance to connect.';
    if (!target) fields.target = 'Choose a Docker container or type the address of your app.';
  } else if (!editing && !draft.token.trim()) {
    fields.token = 'Paste the tunnel token from the Cloudflare dashboard.';
  }
  if (target && !URL_TARGET.test(target))
    fields.target = 'Use an address such as http://localhost:8080.';
  return fields;
}

/** The DesktopApi input for a new connection. */
export function connectionInput(draft: ConnectionDraft): ConnectionInput {
  const target = draft.target.trim();
  if (draft.kind === 'relay') {
    const input: ConnectionInput = {
      kind: 'relay',
      name: draft.name.trim(),
      instanceId: draft.instanceId,
      transport: draft.transport,
      target,
      enabled: draft.enabled,
    };
    if (draft.instanceToken.trim()) input.instanceToken = draft.instanceToken.trim();
    return input;
  }
  return {
    kind: 'cloudflare',
    name: draft.name.trim(),
    token: draft.token.trim(),
    target: target || null,
    enabled: draft.enabled,
  };
}

/** The DesktopApi patch for an edited connection: secrets only when typed anew. */
export function connectionPatch(draft: ConnectionDraft): ConnectionPatch {
  const target = draft.target.trim();
  const patch: ConnectionPatch = {
    name: draft.name.trim(),
    target: target || null,
    enabled: draft.enabled,
  };
  if (draft.kind === 'cloudflare' && draft.token.trim()) patch.token = draft.token.trim();
  if (draft.kind === 'relay') {
    patch.transport = draft.transport;
    if (draft.instanceToken.trim()) patch.instanceToken = draft.instanceToken.trim();
  }
  return patch;
}

export const createConnectionsSlice: SliceCreator<ConnectionsSlice> = (set, get, deps) => {
  function upsert(view: ConnectionView): void {
    set((s) => ({
      connections: s.connections.some((c) => c.id === view.id)
        ? s.connections.map((c) => (c.id === view.id ? view : c))
        : [...s.connections, view],
      statusReceivedAt: { ...s.statusReceivedAt, [view.id]: deps.now() },
    }));
  }

  return {
    connections: [],
    connectionsLoaded: false,
    statusReceivedAt: {},
    testResults: {},
    docker: null,

    loadConnections: async () => {
      const result = await track(set, 'loadConnections', () => deps.api.listConnections());
      if (result.ok) get().applyConnections(result.value);
    },

    applyConnections: (connections) => {
      const at = deps.now();
      set({
        connections,
        connectionsLoaded: true,
        statusReceivedAt: Object.fromEntries(connections.map((c) => [c.id, at])),
      });
    },

    saveConnection: async (draft, id) => {
      const problems = draftProblems(draft, id !== null);
      if (Object.keys(problems).length > 0) {
        failRequest(set, 'saveConnection', localValidationError(problems));
        return null;
      }
      const result = await track(set, 'saveConnection', () =>
        id === null
          ? deps.api.addConnection(connectionInput(draft))
          : deps.api.updateConnection(id, connectionPatch(draft)),
      );
      if (!result.ok) return null;
      upsert(result.value);
      get().clearTestResult(DRAFT_TEST);
      get().navigate({ name: 'connections' });
      get().showFlash('success', `${result.value.name} saved.`);
      return result.value;
    },

    removeConnection: async (id) => {
      const result = await track(set, `removeConnection:${id}`, () =>
        deps.api.removeConnection(id),
      );
      if (!result.ok) return false;
      const name = get().connections.find((c) => c.id === id)?.name ?? 'The connection';
      set((s) => ({ connections: s.connections.filter((c) => c.id !== id) }));
      get().showFlash('success', `${name} was removed.`);
      return true;
    },

    connect: async (id) => {
      const result = await track(set, `connect:${id}`, () => deps.api.connect(id));
      if (result.ok) upsert(result.value);
      return result.ok;
    },

    disconnect: async (id) => {
      const result = await track(set, `disconnect:${id}`, () => deps.api.disconnect(id));
      if (result.ok) upsert(result.value);
      return result.ok;
    },

    testConnection: async (key, input) => {
      const requestKey = `test:${key}` as const;
      if ('token' in input && !input.token.trim()) {
        failRequest(
          set,
          requestKey,
          localValidationError({ token: 'Paste the tunnel token to test it.' }),
        );
        return null;
      }
      get().clearTestResult(key);
      const result = await track(set, requestKey, () => deps.api.testConnection(input));
      if (!result.ok) return null;
      set((s) => ({ testResults: { ...s.testResults, [key]: result.value } }));
      return result.value;
    },

    testDraft: (draft, id) => {
      const typedToken = draft.kind === 'cloudflare' && draft.token.trim() !== '';
      return get().testConnection(
        id ?? DRAFT_TEST,
        id && !typedToken ? { id } : { kind: 'cloudflare', token: draft.token },
      );
    },

    clearTestResult: (key) =>
      set((s) => {
        if (!(key in s.testResults)) return {};
        const { [key]: _removed, ...rest } = s.testResults;
        return { testResults: rest };
      }),

    loadContainers: async () => {
      const result = await track(set, 'loadContainers', () => deps.api.listContainers());
      if (result.ok) set({ docker: result.value });
    },
  };
};
