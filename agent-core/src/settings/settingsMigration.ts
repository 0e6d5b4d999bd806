/**
 * Older settings files brought to the current format on load, one version step at a time. Each
 * step takes the JSON of its version as it was written and returns the next version's; what it
 * does not recognise it leaves for the schema to refuse.
 */

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** 1 → 2: the `wireguard` connection kind became `relay`, which has a transport (`auto`). */
function toVersion2(settings: Json): Json {
  const connections = Array.isArray(settings.connections)
    ? settings.connections.map((c: unknown) => {
        if (!isObject(c)) return c;
        if (c.kind === 'wireguard') return { ...c, kind: 'relay', transport: 'auto' };
        if (c.kind === 'cloudflare') return { ...c, transport: null };
        return c;
      })
    : settings.connections;
  return { ...settings, version: 2, connections };
}

/** The step from each old version to the next. */
const STEPS: ReadonlyMap<number, (settings: Json) => Json> = new Map([[1, toVersion2]]);

/**
 * `json` in the current format, and the version it was migrated from (null when nothing was to
 * do: already current, newer, or not settings at all, which the caller's checks then refuse).
 */
export function migrateSettings(json: unknown): { json: unknown; migratedFrom: number | null } {
  if (!isObject(json) || typeof json.version !== 'number') return { json, migratedFrom: null };
  const from = json.version;
  let current: Json = json;
  for (let step = STEPS.get(from); step; step = STEPS.get(current.version as number)) {
    current = step(current);
  }
  return { json: current, migratedFrom: current === json ? null : from };
}
