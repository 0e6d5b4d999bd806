import { isIPv4, isIPv6 } from 'node:net';
import { AppError } from '../errors/appError.js';

/**
 * How failed sign-ins slow an attacker down without locking the owner out (OWASP's
 * "Blocking Brute Force Attacks", Microsoft's Smart Lockout): failures are counted per
 * account *and* source address, so guesses from one address delay only that address. Once
 * the far higher per-account count is reached, a guesser spread over many addresses gets one
 * guess per address before that address waits; an address with no failures of its own (the
 * owner travelling) always gets its try, and addresses the account recently signed in from
 * keep the per-source budget. An IPv6 source is counted by its /64 (one host usually holds a
 * whole /64), an IPv4-mapped one as the IPv4 address.
 */
export interface LoginThrottleConfig {
  /** Failures one source may make for one account before each further try must wait. */
  freePerSource: number;
  /**
   * Failures for one account, from all sources, after which a source it never signed in from
   * waits after its first failure instead of after `freePerSource`.
   */
  freePerAccount: number;
  /** The first wait; every further failure doubles it, up to `maxDelaySeconds`. */
  firstDelaySeconds: number;
  maxDelaySeconds: number;
  /** A count with no new failure for this long is forgotten. */
  forgetAfterSeconds: number;
  /** A source the account signed in from counts as familiar for this long. */
  familiarForSeconds: number;
}

export const DEFAULT_LOGIN_THROTTLE: LoginThrottleConfig = {
  freePerSource: 5,
  freePerAccount: 50,
  firstDelaySeconds: 1,
  maxDelaySeconds: 900,
  forgetAfterSeconds: 24 * 3600,
  familiarForSeconds: 30 * 24 * 3600,
};

/** A count, the time of its last increment, and when it is forgotten. */
export interface AttemptRecord {
  count: number;
  lastAt: Date;
  expiresAt: Date;
}

/**
 * Where sign-in attempts are counted. Memory for one process; a database table
 * (key, count, last_at, expires_at, with an atomic upsert for `bump`) once several relay
 * processes share one PostgreSQL.
 */
export interface AttemptStore {
  /** Add one to `key` (starting at 1, or again at 1 once expired); it expires at `expiresAt`. */
  bump(key: string, now: Date, expiresAt: Date): Promise<AttemptRecord>;
  /** The live record under `key`, or null when there is none or it expired. */
  get(key: string, now: Date): Promise<AttemptRecord | null>;
  delete(key: string): Promise<void>;
}

/** How many records the memory store keeps at most (a few tens of MB at worst). */
export const DEFAULT_MAX_ATTEMPT_RECORDS = 100_000;

/**
 * A Map that drops expired records on read and sweeps them as it grows, and never holds more
 * than `maxRecords`: every failed sign-in adds keys, so without a cap a flood of guesses (one
 * per account and address) would grow memory without bound. Past the cap the record written
 * least recently is evicted (a Map keeps insertion order, and `bump` re-inserts its key): an
 * attacker who floods the store can make the oldest counts be forgotten, which costs them as
 * many failed requests as the cap and leaves recent guessing counted, where the alternative
 * (refusing new records) would let them stop everyone's failures from counting.
 */
export class MemoryAttemptStore implements AttemptStore {
  private readonly records = new Map<string, AttemptRecord>();
  private writesSinceSweep = 0;

  constructor(private readonly maxRecords = DEFAULT_MAX_ATTEMPT_RECORDS) {}

  /** Records held now (expired ones not yet swept included). */
  get size(): number {
    return this.records.size;
  }

  async bump(key: string, now: Date, expiresAt: Date): Promise<AttemptRecord> {
    if (++this.writesSinceSweep >= 1000) this.sweep(now);
    const live = this.live(key, now);
    const record = { count: (live?.count ?? 0) + 1, lastAt: now, expiresAt };
    this.records.delete(key);
    if (this.records.size >= this.maxRecords) this.sweep(now);
    while (this.records.size >= this.maxRecords) {
      const oldest = this.records.keys().next();
      if (oldest.done) break;
      this.records.delete(oldest.value);
    }
    this.records.set(key, record);
    return { ...record };
  }

  async get(key: string, now: Date): Promise<AttemptRecord | null> {
    const live = this.live(key, now);
    return live ? { ...live } : null;
  }

  async delete(key: string): Promise<void> {
    this.records.delete(key);
  }

  private live(key: string, now: Date): AttemptRecord | undefined {
    const record = this.records.get(key);
    if (record && record.expiresAt <= now) {
      this.records.delete(key);
      return undefined;
    }
    return record;
  }

  private sweep(now: Date): void {
    this.writesSinceSweep = 0;
    for (const [key, record] of this.records) if (record.expiresAt <= now) this.records.delete(key);
  }
}

/** The answer to a request that must wait: 429 RATE_LIMITED with Retry-After. */
export function rateLimited(retrySeconds: number): AppError {
  const retry = Math.max(1, Math.ceil(retrySeconds));
  return new AppError(
    'RATE_LIMITED',
    `Too many requests; try again in ${retry} second${retry === 1 ? '' : 's'}`,
    { retry_after_seconds: retry },
    { 'Retry-After': String(retry) },
  );
}

/**
 * Progressive delays for failed sign-ins. Nothing sleeps on the server: an attempt that comes
 * before its wait is over is refused at once with the time left, and is not counted. Callers
 * pass the app's clock time, so tests move time instead of waiting.
 */
export class LoginThrottle {
  /** The attempt running (or last queued) per account and source; see `oneAtATime`. */
  private readonly running = new Map<string, Promise<unknown>>();

  constructor(
    readonly config: LoginThrottleConfig,
    private readonly store: AttemptStore = new MemoryAttemptStore(),
  ) {}

  /**
   * Run `attempt` after the previous attempt for the same account from the same source has
   * finished. Without this, a burst of parallel guesses would all pass `check` before the
   * first failure is counted. (Across several processes a row lock on the count does this.)
   */
  async oneAtATime<T>(account: string, source: string, attempt: () => Promise<T>): Promise<T> {
    const key = sourceKey(account, sourceBucket(source));
    const previous = this.running.get(key) ?? Promise.resolve();
    const run = previous.then(attempt, attempt);
    const settled = run.catch(() => undefined);
    this.running.set(key, settled);
    try {
      return await run;
    } finally {
      if (this.running.get(key) === settled) this.running.delete(key);
    }
  }

  /** Throw RATE_LIMITED if `source` must still wait before trying a password for `account`. */
  async check(account: string, rawSource: string, now: Date): Promise<void> {
    const source = sourceBucket(rawSource);
    const [bySource, byAccount, familiar] = await Promise.all([
      this.store.get(sourceKey(account, source), now),
      this.store.get(accountKey(account), now),
      this.store.get(familiarKey(account, source), now),
    ]);
    // A source with no failures of its own always gets its try, so the owner signs in from
    // anywhere; under account-wide pressure an unfamiliar source waits after its first failure.
    const underPressure = !familiar && (byAccount?.count ?? 0) >= this.config.freePerAccount;
    const free = underPressure ? 1 : this.config.freePerSource;
    const wait = this.waitMs(bySource, free, now);
    if (wait > 0) throw rateLimited(wait / 1000);
  }

  /** Count a wrong password (or an unknown account: the same, so the count reveals nothing). */
  async failed(account: string, rawSource: string, now: Date): Promise<void> {
    const source = sourceBucket(rawSource);
    const forget = new Date(now.getTime() + this.config.forgetAfterSeconds * 1000);
    await Promise.all([
      this.store.bump(sourceKey(account, source), now, forget),
      this.store.bump(accountKey(account), now, forget),
    ]);
  }

  /**
   * The right password: this source's failures are forgiven and it becomes familiar. The
   * account-wide count stays, so a distributed guesser is not let off by the owner's sign-in.
   */
  async succeeded(account: string, rawSource: string, now: Date): Promise<void> {
    const source = sourceBucket(rawSource);
    const familiarUntil = new Date(now.getTime() + this.config.familiarForSeconds * 1000);
    await Promise.all([
      this.store.delete(sourceKey(account, source)),
      this.store.bump(familiarKey(account, source), now, familiarUntil),
    ]);
  }

  /** A new password (reset by mail): earlier guesses at the old one no longer matter. */
  async passwordChanged(account: string): Promise<void> {
    await this.store.delete(accountKey(account));
  }

  /** Milliseconds left before the next try, after `free` failures: first delay, doubling. */
  private waitMs(record: AttemptRecord | null, free: number, now: Date): number {
    if (!record || record.count < free) return 0;
    const { firstDelaySeconds, maxDelaySeconds } = this.config;
    const delaySeconds = Math.min(firstDelaySeconds * 2 ** (record.count - free), maxDelaySeconds);
    return record.lastAt.getTime() + delaySeconds * 1000 - now.getTime();
  }
}

const sourceKey = (account: string, source: string) => `login-fail:${account}|${source}`;
const accountKey = (account: string) => `login-fail:${account}`;
const familiarKey = (account: string, source: string) => `login-ok:${account}|${source}`;

/**
 * The unit a source is counted in: an IPv4 address as is, an IPv6 address by its /64 (the
 * smallest block a site or host is usually given, so one attacker cannot get fresh budgets by
 * walking the addresses of their prefix), an IPv4-mapped IPv6 address as its IPv4 address.
 * Anything else (no address known) is counted as given.
 */
export function sourceBucket(source: string): string {
  const address = source.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped && isIPv4(mapped[1]!)) return mapped[1]!;
  if (!isIPv6(address)) return source;
  return `${ipv6Groups(address).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address, lower-case hex without leading zeros. */
function ipv6Groups(address: string): string[] {
  let text = address.toLowerCase();
  // A trailing dotted quad (::ffff:1.2.3.4, 64:ff9b::1.2.3.4) is two groups.
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((g) => parseInt(g, 16).toString(16));
}
