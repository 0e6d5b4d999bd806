import { randomBytes } from 'node:crypto';
import { rename } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Low } from 'lowdb';
import type { z } from 'zod';
import { findSecretLikeField } from './secretGuard.js';
import { SettingsError } from './settingsError.js';
import { PrivateTextFile } from './settingsFile.js';
import { migrateSettings } from './settingsMigration.js';
import {
  ConnectionPatch,
  NewConnection,
  PreferencesPatch,
  Settings,
  SETTINGS_VERSION,
  defaultSettings,
  type ConnectionSettings,
  type Preferences,
} from './settingsSchema.js';

/** File name of the settings inside the app's data dir. */
export const SETTINGS_FILE_NAME = 'settings.json';

export interface OpenSettingsOptions {
  /** The app's data dir (created with mode 0700 if absent). */
  dataDir: string;
  fileName?: string;
  /** Relay URL of a fresh install. */
  defaultRelayUrl?: string;
  /** Clock for createdAt/updatedAt. */
  now?: () => Date;
  /** Id generator for new connections (`conn_…`). */
  newConnectionId?: () => string;
}

/**
 * The app's settings (relay URL, connections, preferences) in one lowdb JSON file, validated on
 * load and on every change. Every method that changes something validates the whole result,
 * writes it atomically, and only then makes it current: a rejected change leaves memory and disk
 * as they were. Methods reject with a SettingsError.
 */
export interface SettingsStore {
  readonly path: string;
  /** What went wrong loading the file (e.g. SETTINGS_CORRUPT: kept aside, defaults loaded), or null. */
  readonly loadProblem: SettingsError | null;
  /** A copy of the current settings. */
  read(): Settings;
  getRelayUrl(): string;
  setRelayUrl(url: string): Promise<Settings>;
  listConnections(): ConnectionSettings[];
  getConnection(id: string): ConnectionSettings | null;
  addConnection(input: NewConnection): Promise<ConnectionSettings>;
  updateConnection(id: string, patch: ConnectionPatch): Promise<ConnectionSettings>;
  removeConnection(id: string): Promise<boolean>;
  updatePreferences(patch: PreferencesPatch): Promise<Preferences>;
  /** Applies `change` to a draft copy; the result is validated and written, or nothing changes. */
  update(change: (draft: Settings) => void): Promise<Settings>;
}

function newId(): string {
  // 16 base-36 characters from random bytes; the ids only need to be unique on this machine.
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return `conn_${Array.from(randomBytes(16), (b) => alphabet[b % 36]).join('')}`;
}

function issuesOf(error: z.ZodError): Array<{ path: string; message: string }> {
  return error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
}

/** Refuses anything secret-looking, then validates against `schema`; throws SettingsError. */
function checked<T extends z.ZodType>(schema: T, value: unknown, what: string): z.output<T> {
  const secret = findSecretLikeField(value);
  if (secret) {
    throw new SettingsError(
      'SETTINGS_SECRET_REJECTED',
      `refused to store ${secret.path} in settings: ${secret.reason}. Secrets belong in the SecretStore (keychain or encrypted file), never in settings.`,
      { path: secret.path },
    );
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issues = issuesOf(parsed.error);
    const first = issues[0];
    throw new SettingsError(
      'SETTINGS_INVALID',
      `invalid ${what}: ${first ? `${first.path || '(root)'} ${first.message}` : 'does not match the schema'}`,
      {
        issues,
      },
    );
  }
  return parsed.data;
}

/**
 * `value` as settings, checked exactly as every change is before it is saved; throws the
 * SettingsError a change to it would. Lets a caller refuse a value before doing anything that
 * must only happen for a value that will be saved.
 */
export function checkedSettings(value: unknown): Settings {
  return checked(Settings, value, 'settings');
}

function ioError(cause: unknown, path: string, action: string): SettingsError {
  const code = (cause as NodeJS.ErrnoException | null)?.code;
  return new SettingsError(
    'SETTINGS_UNAVAILABLE',
    `cannot ${action} the settings file ${path}${code ? ` (${code})` : ''}: check its permissions and free space`,
    {
      path,
      cause: cause instanceof Error ? cause.message : String(cause),
    },
  );
}

/**
 * Opens (or creates) the settings file. A file of an older version is migrated and written back
 * in the current format. A file that is not valid settings JSON is renamed to
 * `<file>.corrupt-<time>`, defaults are loaded and written, and `loadProblem` says so; a file from
 * a newer version or an unreadable one is left alone and the call rejects.
 */
export async function openSettings(options: OpenSettingsOptions): Promise<SettingsStore> {
  const path = resolve(join(options.dataDir, options.fileName ?? SETTINGS_FILE_NAME));
  const now = options.now ?? (() => new Date());
  const makeId = options.newConnectionId ?? newId;
  const file = new PrivateTextFile(path);
  const db = new Low<Settings>(
    {
      read: async () => {
        const text = await file.read();
        return text === null ? null : parseSettings(text);
      },
      write: (data) => file.write(`${JSON.stringify(data, null, 2)}\n`),
    },
    defaultSettings(options.defaultRelayUrl),
  );

  // The file is written back after loading when it was migrated, or replaced by defaults.
  let writeBack = false;
  function parseSettings(text: string): Settings {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new SettingsError('SETTINGS_CORRUPT', 'is not JSON');
    }
    const version = (json as { version?: unknown } | null)?.version;
    if (typeof version === 'number' && version > SETTINGS_VERSION) {
      throw new SettingsError(
        'SETTINGS_NEWER_VERSION',
        `${path} was written by a newer Cloud Connect (settings version ${version}); update Cloud Connect to use it`,
        { path, version },
      );
    }
    const migration = migrateSettings(json);
    try {
      const settings = checked(Settings, migration.json, 'settings file');
      writeBack = migration.migratedFrom !== null;
      return settings;
    } catch (err) {
      throw new SettingsError('SETTINGS_CORRUPT', (err as Error).message, {
        cause: (err as SettingsError).code,
      });
    }
  }

  let loadProblem: SettingsError | null = null;
  try {
    await db.read();
  } catch (err) {
    if (!(err instanceof SettingsError)) throw ioError(err, path, 'read');
    if (err.code !== 'SETTINGS_CORRUPT') throw err;
    const aside = `${path}.corrupt-${now().toISOString().replace(/[:.]/g, '-')}`;
    try {
      await rename(path, aside);
    } catch (cause) {
      throw ioError(cause, path, 'move aside');
    }
    loadProblem = new SettingsError(
      'SETTINGS_CORRUPT',
      `the settings file could not be used (${err.message}); it was kept as ${aside} and default settings were loaded`,
      { path, keptAs: aside },
    );
    db.data = defaultSettings(options.defaultRelayUrl);
    writeBack = true;
  }
  if (writeBack) {
    try {
      await db.write();
    } catch (cause) {
      throw ioError(cause, path, 'write');
    }
  }

  // Changes run one after another so each sees the previous one's result.
  let queue: Promise<unknown> = Promise.resolve();
  function update(change: (draft: Settings) => void): Promise<Settings> {
    const run = async (): Promise<Settings> => {
      const draft = structuredClone(db.data);
      change(draft);
      const next = checkedSettings(draft);
      try {
        await file.write(`${JSON.stringify(next, null, 2)}\n`);
      } catch (cause) {
        throw ioError(cause, path, 'write');
      }
      db.data = next;
      return structuredClone(next);
    };
    const result = queue.then(run, run);
    queue = result.catch(() => undefined);
    return result;
  }

  const find = (settings: Settings, id: string): ConnectionSettings => {
    const found = settings.connections.find((c) => c.id === id);
    if (!found)
      throw new SettingsError(
        'CONNECTION_NOT_FOUND',
        `no connection has the id ${JSON.stringify(id)}`,
        { id },
      );
    return found;
  };

  return {
    path,
    get loadProblem() {
      return loadProblem;
    },
    read: () => structuredClone(db.data),
    getRelayUrl: () => db.data.relayUrl,
    setRelayUrl: (url) =>
      update((draft) => {
        draft.relayUrl = url;
      }),
    listConnections: () => structuredClone(db.data.connections),
    getConnection: (id) => {
      const found = db.data.connections.find((c) => c.id === id);
      return found ? structuredClone(found) : null;
    },
    async addConnection(input) {
      const fields = checked(NewConnection, input, 'connection');
      const at = now().toISOString();
      const connection: ConnectionSettings = {
        id: makeId(),
        ...fields,
        createdAt: at,
        updatedAt: at,
      };
      await update((draft) => {
        draft.connections.push(connection);
      });
      return structuredClone(connection);
    },
    async updateConnection(id, patch) {
      const fields = checked(ConnectionPatch, patch, 'connection change');
      const saved = await update((draft) => {
        const connection = find(draft, id);
        for (const [name, value] of Object.entries(fields)) {
          if (value !== undefined) Object.assign(connection, { [name]: value });
        }
        connection.updatedAt = now().toISOString();
      });
      return find(saved, id);
    },
    async removeConnection(id) {
      let removed = false;
      await update((draft) => {
        const before = draft.connections.length;
        draft.connections = draft.connections.filter((c) => c.id !== id);
        removed = draft.connections.length !== before;
      });
      return removed;
    },
    async updatePreferences(patch) {
      const fields = checked(PreferencesPatch, patch, 'preferences');
      const saved = await update((draft) => {
        for (const [name, value] of Object.entries(fields)) {
          if (value !== undefined) Object.assign(draft.preferences, { [name]: value });
        }
      });
      return saved.preferences;
    },
    update,
  };
}
