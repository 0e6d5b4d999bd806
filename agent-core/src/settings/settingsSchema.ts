import { z } from 'zod';
import { InstanceId, Timestamp } from '../api/index.js';

/** The relay a fresh install talks to: the relay-server's own default address. */
export const DEFAULT_RELAY_URL = 'http://127.0.0.1:8787';

/**
 * Current settings file format; older ones are migrated (settingsMigration.ts), newer ones left
 * alone. 2: the relay connection kind (was `wireguard`) and its `transport`.
 */
export const SETTINGS_VERSION = 2;

const HttpUrl = z
  .string()
  .trim()
  .max(2048)
  .refine((v) => {
    try {
      const url = new URL(v);
      return url.protocol === 'http:' || url.protocol === 'https:';
    } catch {
      return false;
    }
  }, 'must be an http(s) URL such as https://relay.example.com');

/** Where a tunnel sends traffic on this machine, as the DesktopApi's ConnectionInput accepts it. */
export const Target = z
  .string()
  .trim()
  .max(2048)
  .refine(
    (v) => /^(https?|tcp):\/\/[^\s/]+(:\d{1,5})?(\/.*)?$/.test(v),
    'must be a URL such as http://localhost:8080',
  );

export const ConnectionId = z
  .string()
  .regex(/^conn_[a-z0-9]{6,40}$/, 'must be a connection id (conn_…)');

/** A tunnel to the user's instance on the Cloud Connect relay, or a Cloudflare tunnel. */
export const ConnectionKind = z.enum(['relay', 'cloudflare']);
export type ConnectionKind = z.infer<typeof ConnectionKind>;

/**
 * How a relay connection reaches the relay: `wireguard` (a network interface: needs privileges
 * and open UDP), `stream` (HTTP/2 streams over one HTTPS connection: no privileges), or `auto`
 * (WireGuard when this computer allows it, else the stream transport).
 */
export const RelayTransport = z.enum(['auto', 'wireguard', 'stream'], {
  error: 'must be auto, wireguard or stream',
});
export type RelayTransport = z.infer<typeof RelayTransport>;

/** One configured tunnel. Its token lives in the SecretStore, never here. */
export const ConnectionSettings = z
  .strictObject({
    id: ConnectionId,
    name: z.string().trim().min(1, 'is required').max(100, 'must be at most 100 characters'),
    kind: ConnectionKind,
    /** The instance a relay connection serves; null for Cloudflare. */
    instanceId: InstanceId.nullable(),
    /** How a relay connection reaches the relay; null for Cloudflare. */
    transport: RelayTransport.nullable(),
    /** e.g. `http://localhost:8080`; optional for Cloudflare, whose ingress is configured remotely. */
    target: Target.nullable(),
    /** Start this connection when the app or agent starts (seed 000 P13-2.2). */
    enabled: z.boolean(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .superRefine((c, ctx) => {
    const problem = (path: string, message: string) =>
      ctx.addIssue({ code: 'custom', path: [path], message });
    if (c.kind === 'relay') {
      if (c.instanceId === null) problem('instanceId', 'a relay connection needs an instance');
      if (c.target === null) problem('target', 'a relay connection needs a target URL');
      if (c.transport === null)
        problem('transport', 'a relay connection needs a transport (auto, wireguard or stream)');
    } else {
      if (c.instanceId !== null) problem('instanceId', 'a Cloudflare connection has no instance');
      if (c.transport !== null) problem('transport', 'a Cloudflare connection has no transport');
    }
  });
export type ConnectionSettings = z.infer<typeof ConnectionSettings>;

export const WindowBounds = z.strictObject({
  x: z.number().int().min(-100_000).max(100_000),
  y: z.number().int().min(-100_000).max(100_000),
  width: z.number().int().min(100).max(100_000),
  height: z.number().int().min(100).max(100_000),
});
export type WindowBounds = z.infer<typeof WindowBounds>;

/** App preferences; each has a default so a file from before a preference existed still loads. */
export const Preferences = z.strictObject({
  theme: z.enum(['system', 'light', 'dark']).default('system'),
  launchAtLogin: z.boolean().default(false),
  windowBounds: WindowBounds.nullable().default(null),
});
export type Preferences = z.infer<typeof Preferences>;

export const Settings = z
  .strictObject({
    version: z.literal(SETTINGS_VERSION),
    relayUrl: HttpUrl,
    connections: z.array(ConnectionSettings).max(1000),
    preferences: Preferences.default(() => Preferences.parse({})),
  })
  .superRefine((s, ctx) => {
    const seen = new Set<string>();
    s.connections.forEach((c, i) => {
      if (seen.has(c.id))
        ctx.addIssue({ code: 'custom', path: ['connections', i, 'id'], message: 'is used twice' });
      seen.add(c.id);
    });
  });
export type Settings = z.infer<typeof Settings>;

/** Settings of a fresh install. */
export function defaultSettings(relayUrl: string = DEFAULT_RELAY_URL): Settings {
  return {
    version: SETTINGS_VERSION,
    relayUrl,
    connections: [],
    preferences: Preferences.parse({}),
  };
}

/** What a caller gives to add a connection; id and times are filled in. */
export const NewConnection = z.strictObject({
  name: ConnectionSettings.shape.name,
  kind: ConnectionKind,
  instanceId: InstanceId.nullable().default(null),
  transport: RelayTransport.nullable().default(null),
  target: Target.nullable().default(null),
  enabled: z.boolean().default(false),
});
export type NewConnection = z.input<typeof NewConnection>;

/** What may change on a connection; its kind and id never do. */
export const ConnectionPatch = z.strictObject({
  name: ConnectionSettings.shape.name.optional(),
  instanceId: InstanceId.nullable().optional(),
  transport: RelayTransport.nullable().optional(),
  target: Target.nullable().optional(),
  enabled: z.boolean().optional(),
});
export type ConnectionPatch = z.input<typeof ConnectionPatch>;

// Spelled out rather than Preferences.partial(): zod applies defaults inside optional fields, and
// a patch must leave the preferences it does not name alone.
export const PreferencesPatch = z.strictObject({
  theme: z.enum(['system', 'light', 'dark']).optional(),
  launchAtLogin: z.boolean().optional(),
  windowBounds: WindowBounds.nullable().optional(),
});
export type PreferencesPatch = z.input<typeof PreferencesPatch>;
