import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SECRET_SAMPLES } from '../testing/secretSamples.js';
import { SettingsError } from './settingsError.js';
import { DEFAULT_RELAY_URL, SETTINGS_VERSION, type Settings } from './settingsSchema.js';
import { openSettings, SETTINGS_FILE_NAME, type SettingsStore } from './settingsStore.js';

const INSTANCE = 'inst_abcdefghij12';
const { jwt: JWT, tunnelToken: CF_TOKEN, wireGuardKey: WG_KEY } = SECRET_SAMPLES;

let dataDir: string;
let path: string;
let clock: Date;
const now = () => clock;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'cc-settings-'));
  path = join(dataDir, SETTINGS_FILE_NAME);
  clock = new Date('2026-01-02T03:04:05.000Z');
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

async function onDisk(): Promise<Settings> {
  return JSON.parse(await readFile(path, 'utf8')) as Settings;
}

async function rejection(promise: Promise<unknown>): Promise<SettingsError> {
  const err = await promise.then(
    () => new Error('expected a rejection'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SettingsError);
  return err as SettingsError;
}

const relayConnection = {
  name: 'Nextcloud',
  kind: 'relay',
  transport: 'auto',
  instanceId: INSTANCE,
  target: 'http://localhost:8080',
  enabled: true,
} as const;

describe('settings store', () => {
  it('starts from defaults and writes nothing until something changes', async () => {
    const settings = await openSettings({ dataDir, now });
    expect(settings.read()).toEqual({
      version: SETTINGS_VERSION,
      relayUrl: DEFAULT_RELAY_URL,
      connections: [],
      preferences: { theme: 'system', launchAtLogin: false, windowBounds: null },
    });
    expect(settings.loadProblem).toBeNull();
    await expect(stat(path)).rejects.toThrow();
  });

  it('keeps connections, the relay URL and preferences across reopening', async () => {
    const settings = await openSettings({ dataDir, now });
    const wg = await settings.addConnection(relayConnection);
    clock = new Date('2026-01-02T03:05:00.000Z');
    const cf = await settings.addConnection({ name: 'Photos', kind: 'cloudflare' });
    await settings.setRelayUrl('https://relay.example.com');
    await settings.updatePreferences({
      theme: 'dark',
      windowBounds: { x: 10, y: 20, width: 1024, height: 768 },
    });
    await settings.updatePreferences({ launchAtLogin: true });

    expect(wg).toMatchObject({
      ...relayConnection,
      createdAt: '2026-01-02T03:04:05.000Z',
      updatedAt: '2026-01-02T03:04:05.000Z',
    });
    expect(wg.id).toMatch(/^conn_[a-z0-9]{16}$/);
    expect(cf).toMatchObject({
      kind: 'cloudflare',
      instanceId: null,
      target: null,
      enabled: false,
    });

    const reopened = await openSettings({ dataDir, now });
    expect(reopened.getRelayUrl()).toBe('https://relay.example.com');
    expect(reopened.listConnections()).toEqual([wg, cf]);
    expect(reopened.read().preferences).toEqual({
      theme: 'dark',
      launchAtLogin: true,
      windowBounds: { x: 10, y: 20, width: 1024, height: 768 },
    });
    expect(await onDisk()).toEqual(reopened.read());
  });

  it('updates a connection, bumps updatedAt, and removes it', async () => {
    const settings = await openSettings({ dataDir, now });
    const wg = await settings.addConnection(relayConnection);
    clock = new Date('2026-02-01T00:00:00.000Z');
    const changed = await settings.updateConnection(wg.id, {
      enabled: false,
      target: 'http://127.0.0.1:9000',
    });
    expect(changed).toMatchObject({
      enabled: false,
      target: 'http://127.0.0.1:9000',
      name: 'Nextcloud',
      createdAt: wg.createdAt,
      updatedAt: '2026-02-01T00:00:00.000Z',
    });
    expect(settings.getConnection(wg.id)).toEqual(changed);
    expect(await settings.removeConnection(wg.id)).toBe(true);
    expect(await settings.removeConnection(wg.id)).toBe(false);
    expect((await onDisk()).connections).toEqual([]);
    expect((await rejection(settings.updateConnection(wg.id, { enabled: true }))).code).toBe(
      'CONNECTION_NOT_FOUND',
    );
  });

  it('hands out copies, so callers cannot change settings behind its back', async () => {
    const settings = await openSettings({ dataDir, now });
    await settings.addConnection(relayConnection);
    const copy = settings.read();
    copy.relayUrl = 'https://elsewhere.example.com';
    copy.connections[0]!.name = 'changed';
    expect(settings.getRelayUrl()).toBe(DEFAULT_RELAY_URL);
    expect(settings.listConnections()[0]!.name).toBe('Nextcloud');
  });

  describe('never stores a secret', () => {
    /** What is tried, the attempt, and the field the refusal names. */
    const attempts: Array<[string, (s: SettingsStore) => Promise<unknown>, string]> = [
      [
        'a token field on a new connection',
        (s) => s.addConnection({ ...relayConnection, token: CF_TOKEN } as never),
        'token',
      ],
      [
        'an instanceToken field',
        (s) => s.addConnection({ ...relayConnection, instanceToken: 'abc' } as never),
        'instanceToken',
      ],
      [
        'a privateKey in a patch',
        (s) => s.updatePreferences({ privateKey: 'x' } as never),
        'privateKey',
      ],
      [
        'a password preference',
        (s) => s.update((d) => Object.assign(d.preferences, { password: 'hunter22' })),
        'preferences.password',
      ],
      [
        'an api_key nested anywhere',
        (s) => s.update((d) => Object.assign(d, { extra: { api_key: 'x' } })),
        'extra.api_key',
      ],
      [
        'a JWT as a connection name',
        (s) => s.addConnection({ ...relayConnection, name: JWT }),
        'name',
      ],
      [
        'a Cloudflare tunnel token as a name',
        (s) => s.addConnection({ name: CF_TOKEN.slice(0, 90), kind: 'cloudflare' }),
        'name',
      ],
      [
        'a WireGuard key as a name',
        (s) => s.addConnection({ ...relayConnection, name: WG_KEY }),
        'name',
      ],
      [
        'a relay URL with a password',
        (s) => s.setRelayUrl('https://ann:hunter22@relay.example.com'),
        'relayUrl',
      ],
      [
        'a PEM private key',
        (s) =>
          s.update((d) =>
            Object.assign(d.preferences, { theme: '-----BEGIN PRIVATE KEY-----\nMII' }),
          ),
        'preferences.theme',
      ],
    ];
    it.each(attempts)('rejects %s and changes nothing', async (_what, attempt, where) => {
      const settings = await openSettings({ dataDir, now });
      await settings.addConnection({ ...relayConnection, name: 'Existing' });
      const before = await readFile(path, 'utf8');
      const memory = settings.read();
      const err = await rejection(attempt(settings));
      expect(err.code).toBe('SETTINGS_SECRET_REJECTED');
      expect(err.message).toContain(where);
      expect(err.message).toMatch(/SecretStore/);
      for (const secret of [CF_TOKEN, JWT, WG_KEY, 'hunter22'])
        expect(JSON.stringify(err)).not.toContain(secret);
      expect(await readFile(path, 'utf8')).toBe(before);
      expect(settings.read()).toEqual(memory);
    });
  });

  it.each([
    [
      'a relay connection without an instance',
      { ...relayConnection, instanceId: null },
      'instanceId',
    ],
    ['a relay connection without a target', { ...relayConnection, target: null }, 'target'],
    ['a target that is not a URL', { ...relayConnection, target: 'localhost 8080' }, 'target'],
    ['an unknown kind', { ...relayConnection, kind: 'openvpn' }, 'kind'],
    ['an empty name', { ...relayConnection, name: '  ' }, 'name'],
    ['a malformed instance id', { ...relayConnection, instanceId: 'inst_X!' }, 'instanceId'],
    ['an unknown transport', { ...relayConnection, transport: 'udp' }, 'transport'],
    [
      'a relay connection without a transport',
      { ...relayConnection, transport: null },
      'transport',
    ],
    [
      'a Cloudflare connection with a transport',
      { name: 'Blog', kind: 'cloudflare', transport: 'stream' },
      'transport',
    ],
  ])('rejects %s with SETTINGS_INVALID naming the field', async (_what, input, field) => {
    const settings = await openSettings({ dataDir, now });
    const err = await rejection(settings.addConnection(input as never));
    expect(err.code).toBe('SETTINGS_INVALID');
    expect(err.message).toContain(field);
    expect(settings.listConnections()).toEqual([]);
    await expect(stat(path)).rejects.toThrow();
  });

  it('rejects a patch that would make a saved connection invalid', async () => {
    const settings = await openSettings({ dataDir, now });
    const wg = await settings.addConnection(relayConnection);
    expect((await rejection(settings.updateConnection(wg.id, { instanceId: null }))).code).toBe(
      'SETTINGS_INVALID',
    );
    expect(
      (await rejection(settings.updateConnection(wg.id, { kind: 'cloudflare' } as never))).code,
    ).toBe('SETTINGS_INVALID');
    expect((await rejection(settings.setRelayUrl('ftp://relay.example.com'))).code).toBe(
      'SETTINGS_INVALID',
    );
    expect(settings.getConnection(wg.id)).toEqual(wg);
  });

  it('writes the file with mode 0600 under umask 000, atomically, leaving no temp file', async () => {
    const previous = process.umask(0);
    try {
      const settings = await openSettings({ dataDir: join(dataDir, 'nested'), now });
      await settings.addConnection(relayConnection);
      await settings.setRelayUrl('https://relay.example.com');
      expect((await stat(settings.path)).mode & 0o777).toBe(0o600);
      expect((await stat(join(dataDir, 'nested'))).mode & 0o777).toBe(0o700);
      expect(await readdir(join(dataDir, 'nested'))).toEqual(['settings.json']);
    } finally {
      process.umask(previous);
    }
  });

  it('restores mode 0600 on a file someone made world-readable', async () => {
    const settings = await openSettings({ dataDir, now });
    await settings.addConnection(relayConnection);
    await chmod(path, 0o644);
    await settings.updatePreferences({ theme: 'light' });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('applies concurrent changes one after another without losing any', async () => {
    const settings = await openSettings({ dataDir, now });
    const added = await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        settings.addConnection({ ...relayConnection, name: `App ${i}` }),
      ),
    );
    await Promise.all([
      ...added.slice(0, 10).map((c) => settings.updateConnection(c.id, { enabled: false })),
      settings.updatePreferences({ theme: 'dark' }),
    ]);
    const reopened = await openSettings({ dataDir, now });
    expect(reopened.listConnections()).toHaveLength(25);
    expect(reopened.listConnections().filter((c) => !c.enabled)).toHaveLength(10);
    expect(reopened.read().preferences.theme).toBe('dark');
  });

  it.each([
    ['not JSON', '{"version": 1, "relayUrl": '],
    ['an empty file', ''],
    [
      'JSON of the wrong shape',
      '{"version":1,"relayUrl":"https://r.example.com","connections":"none"}',
    ],
    [
      'a file holding a token',
      JSON.stringify({
        version: 1,
        relayUrl: 'https://r.example.com',
        connections: [],
        preferences: {},
        token: CF_TOKEN,
      }),
    ],
  ])('keeps a corrupted file (%s) aside, loads defaults and says so', async (_what, text) => {
    await writeFile(path, text);
    const settings = await openSettings({ dataDir, now });
    const aside = `${path}.corrupt-2026-01-02T03-04-05-000Z`;
    expect(settings.loadProblem?.code).toBe('SETTINGS_CORRUPT');
    expect(settings.loadProblem?.message).toContain(aside);
    expect(settings.loadProblem?.message).toMatch(/default settings were loaded/);
    expect(JSON.stringify(settings.loadProblem)).not.toContain(CF_TOKEN);
    expect(await readFile(aside, 'utf8')).toBe(text);
    expect(settings.read().relayUrl).toBe(DEFAULT_RELAY_URL);
    expect((await onDisk()).connections).toEqual([]);
    // The next start is clean.
    expect((await openSettings({ dataDir, now })).loadProblem).toBeNull();
  });

  it('loads a file that predates a preference by filling in its default', async () => {
    await writeFile(
      path,
      JSON.stringify({
        version: 1,
        relayUrl: 'https://r.example.com',
        connections: [],
        preferences: { theme: 'dark' },
      }),
    );
    const settings = await openSettings({ dataDir, now });
    expect(settings.loadProblem).toBeNull();
    expect(settings.read().preferences).toEqual({
      theme: 'dark',
      launchAtLogin: false,
      windowBounds: null,
    });
  });

  it('migrates a version-1 file: a wireguard connection becomes relay with the auto transport, written back at once', async () => {
    const v1 = {
      version: 1,
      relayUrl: 'https://r.example.com',
      connections: [
        { ...relayConnection, kind: 'wireguard', transport: undefined },
        { name: 'Blog', kind: 'cloudflare', instanceId: null, target: null, enabled: false },
      ].map((c, i) => ({
        ...c,
        id: `conn_old00${i}`,
        createdAt: '2025-01-01T00:00:00.000Z',
        updatedAt: '2025-01-01T00:00:00.000Z',
      })),
      preferences: { theme: 'dark' },
    };
    await writeFile(path, JSON.stringify(v1));
    const settings = await openSettings({ dataDir, now });
    expect(settings.loadProblem).toBeNull();
    const [relay, cloudflare] = settings.listConnections();
    expect(relay).toMatchObject({ id: 'conn_old000', kind: 'relay', transport: 'auto' });
    expect(relay).toMatchObject({ instanceId: INSTANCE, target: relayConnection.target });
    expect(cloudflare).toMatchObject({ id: 'conn_old001', kind: 'cloudflare', transport: null });
    expect(settings.read().preferences.theme).toBe('dark');
    expect(await onDisk()).toEqual(settings.read());
    expect((await onDisk()).version).toBe(2);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readdir(dataDir)).toEqual([SETTINGS_FILE_NAME]);
  });

  it('keeps a version-1 file aside when its connections are invalid after migration too', async () => {
    const text = JSON.stringify({
      version: 1,
      relayUrl: 'https://r.example.com',
      connections: [{ id: 'conn_old000', name: 'VPN', kind: 'openvpn' }],
    });
    await writeFile(path, text);
    const settings = await openSettings({ dataDir, now });
    expect(settings.loadProblem?.code).toBe('SETTINGS_CORRUPT');
    expect(settings.loadProblem?.message).toMatch(/kind/);
    expect(settings.listConnections()).toEqual([]);
  });

  it('leaves a file from a newer version alone and says to update', async () => {
    const text = JSON.stringify({
      version: SETTINGS_VERSION + 1,
      relayUrl: 'https://r.example.com',
      connections: [],
      newThing: true,
    });
    await writeFile(path, text);
    const err = await rejection(openSettings({ dataDir, now }));
    expect(err.code).toBe('SETTINGS_NEWER_VERSION');
    expect(err.message).toMatch(/update Cloud Connect/);
    expect(await readFile(path, 'utf8')).toBe(text);
  });

  it('reports an unreadable settings path as SETTINGS_UNAVAILABLE without moving anything', async () => {
    await mkdir(path); // a folder where the file should be
    const err = await rejection(openSettings({ dataDir, now }));
    expect(err.code).toBe('SETTINGS_UNAVAILABLE');
    expect((await stat(path)).isDirectory()).toBe(true);
  });
});
