/**
 * Remembers which tokens already passed signature verification, so the hot path (an agent's
 * heartbeat every minute, with the same instance token each time) does not redo the JWT
 * checks on every call. Only for tokens whose verdict cannot change with time: instance
 * tokens carry no expiry, and their revocation is the token id check against the store, which
 * callers still do on every request.
 *
 * The key is the whole token, signature included, so a token changed in any byte misses and
 * is verified in full. Keeping tokens in memory adds no exposure: the process holds the
 * signing key, which can mint any token. Only successes are kept (forged tokens cannot fill
 * it); past `max` entries the oldest go.
 */
export class VerifiedTokens<Claims extends object> {
  private readonly entries = new Map<string, Readonly<Claims>>();

  constructor(
    private readonly verify: (token: string) => Promise<Claims | null>,
    private readonly max = 100_000,
  ) {}

  /** The token's claims if its signature is valid (from memory when seen before), else null. */
  async claims(token: string): Promise<Readonly<Claims> | null> {
    const known = this.entries.get(token);
    if (known) return known;
    const claims = await this.verify(token);
    if (!claims) return null;
    if (this.entries.size >= this.max) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    const frozen = Object.freeze({ ...claims });
    this.entries.set(token, frozen);
    return frozen;
  }

  get size(): number {
    return this.entries.size;
  }
}
