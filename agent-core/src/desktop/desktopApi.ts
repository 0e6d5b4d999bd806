import { z } from 'zod';
import type { CheckoutResponse } from '../api/index.js';
import {
  CreateInstanceRequest,
  DomainName,
  InstanceId,
  LoginRequest,
  PaidPlan,
  Password,
  RegisterRequest,
  Subdomain,
  UpdateInstanceRequest,
  UpdateUserRequest,
  type AddDomainResponse,
  type CreateInstanceResponse,
  type DomainListItem,
  type InstanceListItem,
  type SessionUser as ApiSessionUser,
  type SubdomainCheckResponse,
  type Subscription,
  type UpdateInstanceResponse,
  type VerifyDomainResponse,
} from '../api/index.js';
import {
  ConnectionId,
  type ConnectionKind,
  ConnectionPatch as StoredConnectionPatch,
  ConnectionSettings,
  RelayTransport,
  Target,
} from '../settings/settingsSchema.js';
import type { RelayInstanceStatus } from '../status/statusWords.js';
import type { TunnelStatus, TunnelTestResult } from '../tunnels/status.js';
import type { Result } from './failure.js';

// Expected failures cross IPC as values (`{ ok: false, code, message, fields? }`), with a code
// from the FailureCode union (failure.ts).
export type { BridgeErrorCode, Failure, FailureCode, HostErrorCode, Result } from './failure.js';

export type Unsubscribe = () => void;

/** The signed-in user, as the API's login answer describes them. */
export type SessionUser = z.infer<typeof ApiSessionUser>;

export interface SessionView {
  signedIn: boolean;
  relayUrl: string;
  user: SessionUser | null;
}

export type { ConnectionKind, RelayTransport };

/** A configured tunnel and its live status. Secrets are never part of it, only whether one is stored. */
export interface ConnectionView {
  id: string;
  name: string;
  kind: ConnectionKind;
  /** The instance a relay connection serves. */
  instanceId: string | null;
  /**
   * How a relay connection reaches the relay, as chosen (null for Cloudflare); the path in use
   * and, for `auto`, why are in `status.details.transport` / `transport_reason` while it runs.
   */
  transport: RelayTransport | null;
  /** Where traffic goes on this machine, e.g. `http://localhost:8080`. */
  target: string | null;
  /** Enable on start-up (seed 000 P13-2.2). */
  enabled: boolean;
  /** A token (Cloudflare tunnel token or instance token) is in the keychain. */
  hasToken: boolean;
  status: TunnelStatus;
  /**
   * The address a browser opens: for a relay connection what the relay reports (scheme and port of its
   * edge), for Cloudflare `https://<hostname>`; null until known.
   */
  publicUrl: string | null;
  /**
   * The relay's status model of a relay connection's instance, as last reported to this
   * agent (refreshed while the tunnel runs); null for Cloudflare and until the relay answered.
   * `connectionStatusWords` (agent-core/status) turns it and `status` into the words shown.
   */
  relay: RelayInstanceStatus | null;
  createdAt: string;
  updatedAt: string;
}

export interface LogEntry {
  id: number;
  at: string;
  level: 'debug' | 'info' | 'warn' | 'error';
  connectionId: string | null;
  message: string;
}

export interface DockerPortView {
  privatePort: number;
  publicPort: number | null;
  ip: string | null;
  type: string;
}

export interface DockerContainerView {
  id: string;
  name: string;
  image: string;
  state: string;
  ports: DockerPortView[];
  suggestedTargets: string[];
}

export interface DockerView {
  available: boolean;
  reason: string | null;
  containers: DockerContainerView[];
}

export interface AppInfo {
  version: string;
  host: 'electron' | 'web';
  platform: string;
  /** null where the host cannot launch at login (web host). */
  launchAtLogin: boolean | null;
  /**
   * The local relay `npm start` launched, whose mail outbox this host may open: while the app
   * uses it, sign-up's verification is one click (`verifyEmailLocally`). null otherwise.
   */
  localRelayUrl: string | null;
}

// ---- Argument schemas: every IPC / WebSocket call is validated against these in main. ----
// Values that are also a settings field or an API request reuse that schema, so the host refuses
// exactly what the settings store or the relay would.

const Name = ConnectionSettings.shape.name;
const Email = LoginRequest.shape.email;
/** Cloudflare tunnel tokens are long base64 strings (seed 000: min_length 50). */
const CloudflareToken = z
  .string()
  .trim()
  .min(50, 'must be the whole tunnel token (it is long, starting with eyJ)')
  .max(4096);
const InstanceToken = z.string().trim().min(20).max(4096);

export const ConnectionInput = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('relay'),
    name: Name,
    instanceId: InstanceId,
    /** How the tunnel reaches the relay; `auto` when left out. */
    transport: RelayTransport.default('auto'),
    target: Target,
    enabled: z.boolean().default(false),
    /** Only needed for an instance whose token is not in the keychain yet. */
    instanceToken: InstanceToken.optional(),
  }),
  z.strictObject({
    kind: z.literal('cloudflare'),
    name: Name,
    token: CloudflareToken,
    target: Target.nullable().default(null),
    enabled: z.boolean().default(false),
  }),
]);
export type ConnectionInput = z.input<typeof ConnectionInput>;

/**
 * A change to a connection as the user makes it: the settings' own patch (less the instance,
 * which a connection keeps for life) plus the secrets that go to the SecretStore.
 */
export const ConnectionPatch = StoredConnectionPatch.omit({ instanceId: true })
  .extend({
    /** A relay connection's transport (a Cloudflare connection has none to change). */
    transport: RelayTransport.optional(),
    token: CloudflareToken.optional(),
    instanceToken: InstanceToken.optional(),
  })
  .refine((p) => Object.keys(p).length > 0, 'change at least one field');
export type ConnectionPatch = z.input<typeof ConnectionPatch>;

export const TestConnectionInput = z.union([
  z.strictObject({ id: ConnectionId }),
  z.strictObject({ kind: z.literal('cloudflare'), token: CloudflareToken }),
]);
export type TestConnectionInput = z.input<typeof TestConnectionInput>;

const SignUpInput = RegisterRequest;
const ResetInput = z
  .strictObject({
    token: z.string().trim().min(1).max(2048),
    password: Password,
    password_confirmation: z.string(),
  })
  .refine((v) => v.password === v.password_confirmation, {
    path: ['password_confirmation'],
    message: 'does not match password',
  });
const HttpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2048);

/**
 * The argument list of every DesktopApi method. Electron main and the web host validate each
 * call against this before it reaches the Manager.
 */
export const DesktopApiArgs = {
  getSession: z.tuple([]),
  setRelayUrl: z.tuple([HttpUrl]),
  signUp: z.tuple([SignUpInput]),
  verifyEmail: z.tuple([z.string().trim().min(1).max(4096)]),
  resendVerification: z.tuple([Email]),
  signIn: z.tuple([Email, LoginRequest.shape.password]),
  signOut: z.tuple([]),
  forgotPassword: z.tuple([Email]),
  resetPassword: z.tuple([ResetInput]),
  updateProfile: z.tuple([UpdateUserRequest]),
  getSubscription: z.tuple([]),
  startCheckout: z.tuple([PaidPlan]),
  openBillingPortal: z.tuple([]),
  listInstances: z.tuple([]),
  checkSubdomain: z.tuple([Subdomain]),
  createInstance: z.tuple([CreateInstanceRequest]),
  updateInstance: z.tuple([InstanceId, UpdateInstanceRequest]),
  deleteInstance: z.tuple([InstanceId]),
  regenerateInstanceToken: z.tuple([InstanceId]),
  listDomains: z.tuple([InstanceId]),
  addDomain: z.tuple([InstanceId, DomainName]),
  verifyDomain: z.tuple([InstanceId, DomainName]),
  removeDomain: z.tuple([InstanceId, DomainName]),
  listConnections: z.tuple([]),
  addConnection: z.tuple([ConnectionInput]),
  updateConnection: z.tuple([ConnectionId, ConnectionPatch]),
  removeConnection: z.tuple([ConnectionId]),
  connect: z.tuple([ConnectionId]),
  disconnect: z.tuple([ConnectionId]),
  testConnection: z.tuple([TestConnectionInput]),
  listContainers: z.tuple([]),
  getLogs: z.tuple([
    z
      .strictObject({
        connectionId: ConnectionId.optional(),
        limit: z.number().int().min(1).max(2000).optional(),
      })
      .optional(),
  ]),
  openExternal: z.tuple([HttpUrl]),
  getAppInfo: z.tuple([]),
  setLaunchAtLogin: z.tuple([z.boolean()]),
  verifyEmailLocally: z.tuple([Email]),
} as const;

export type DesktopMethod = keyof typeof DesktopApiArgs;

/** What each of the Manager's request methods answers when it succeeds. */
interface ManagerAnswers {
  getSession: SessionView;
  setRelayUrl: SessionView;
  signUp: { email: string; message: string };
  /** Accepts the token or the whole link from the email. */
  verifyEmail: { message: string };
  resendVerification: { message: string };
  signIn: SessionView;
  signOut: SessionView;
  forgotPassword: { message: string };
  resetPassword: { message: string };
  updateProfile: SessionView;

  getSubscription: Subscription;
  /** Creates the Checkout session; the host opens `checkout_url` in the system browser. */
  startCheckout: z.infer<typeof CheckoutResponse>;
  openBillingPortal: { portal_url: string };

  listInstances: InstanceListItem[];
  checkSubdomain: SubdomainCheckResponse;
  /** The instance token is kept in the keychain and returned this once for the user to copy. */
  createInstance: { instance: CreateInstanceResponse['instance']; instance_token: string };
  updateInstance: z.infer<typeof UpdateInstanceResponse>;
  deleteInstance: null;
  regenerateInstanceToken: { instance_token: string };

  listDomains: DomainListItem[];
  addDomain: AddDomainResponse;
  verifyDomain: VerifyDomainResponse;
  removeDomain: null;

  listConnections: ConnectionView[];
  addConnection: ConnectionView;
  updateConnection: ConnectionView;
  removeConnection: null;
  connect: ConnectionView;
  disconnect: ConnectionView;
  /** Seed 000 P13-2.4: try a saved connection or a candidate Cloudflare token; restores what ran. */
  testConnection: TunnelTestResult;

  listContainers: DockerView;
  getLogs: LogEntry[];
}

/** What each of the host's request methods answers when it succeeds. */
interface HostAnswers {
  /** Opens an http(s) URL in the system browser; `opened: false` tells the renderer to open it itself. */
  openExternal: { opened: boolean };
  getAppInfo: AppInfo;
  setLaunchAtLogin: AppInfo;
  /**
   * Verifies `email` with the newest verification mail to it in the local relay's outbox;
   * NOT_SUPPORTED unless the app uses the local relay `npm start` launched (AppInfo.localRelayUrl).
   */
  verifyEmailLocally: { message: string };
}

/** The arguments of DesktopApi method `M`: what its schema in `DesktopApiArgs` accepts. */
export type DesktopArgs<M extends DesktopMethod> = z.input<(typeof DesktopApiArgs)[M]>;

/**
 * Request methods typed from the contract: each takes what its argument schema accepts and
 * answers a Result of its value. (Homomorphic over `Answers`, so each method keeps its doc.)
 */
type Requests<Answers> = {
  [M in keyof Answers]: M extends DesktopMethod
    ? (...args: DesktopArgs<M>) => Promise<Result<Answers[M]>>
    : never;
};

/** The Manager's side of the API: account, billing, instances, domains, connections, Docker, logs. */
export interface ManagerApi extends Requests<ManagerAnswers> {
  /** Every connection with its status, pushed on every change (no polling). */
  onConnections(listener: (connections: ConnectionView[]) => void): Unsubscribe;
  onSession(listener: (session: SessionView) => void): Unsubscribe;
  onLog(listener: (entry: LogEntry) => void): Unsubscribe;
}

/** What only the host (Electron main or the web host) can do. */
export type HostApi = Requests<HostAnswers>;

/** The one API the renderer talks to (`window.cloudConnect`). */
export type DesktopApi = ManagerApi & HostApi;

/** Event channels of the DesktopApi, and the method that subscribes to each. */
export const DesktopEvents = {
  connections: 'onConnections',
  session: 'onSession',
  log: 'onLog',
} as const satisfies Record<string, keyof ManagerApi>;

// Every request method has an argument schema and every schema a method: a method without a
// schema, or a schema without a method, fails the build here.
type AnsweredMethods = keyof ManagerAnswers | keyof HostAnswers;
type _AllMethodsHaveSchemas = [
  Exclude<AnsweredMethods, DesktopMethod>,
  Exclude<DesktopMethod, AnsweredMethods>,
] extends [never, never]
  ? true
  : never;
export const desktopApiComplete: _AllMethodsHaveSchemas = true;
