import { describe, expect, it } from 'vitest';
import { TokenService } from '../tokens/tokens.js';
import { VerifiedTokens } from './verifiedTokens.js';

/** A real TokenService whose verifyInstance calls are counted. */
function countingVerifier() {
  const tokens = new TokenService('a-test-secret-that-is-long-enough-0123456789');
  const calls = { n: 0 };
  const verified = new VerifiedTokens((t: string) => {
    calls.n += 1;
    return tokens.verifyInstance(t);
  }, 3);
  return { tokens, calls, verified };
}

describe('VerifiedTokens', () => {
  it('verifies a token once and answers the same claims from memory after that', async () => {
    const { tokens, calls, verified } = countingVerifier();
    const token = await tokens.signInstance('inst_a', 'usr_a', 'jti_a');
    const first = await verified.claims(token);
    const second = await verified.claims(token);
    expect(first).toEqual({ instanceId: 'inst_a', userId: 'usr_a', tokenId: 'jti_a' });
    expect(second).toBe(first);
    expect(Object.isFrozen(second)).toBe(true);
    expect(calls.n).toBe(1);
  });

  it('verifies in full, and refuses, a known token with one byte changed', async () => {
    const { tokens, calls, verified } = countingVerifier();
    const token = await tokens.signInstance('inst_a', 'usr_a', 'jti_a');
    await verified.claims(token);
    const last = token.at(-2) === 'A' ? 'B' : 'A';
    const tampered = `${token.slice(0, -2)}${last}${token.at(-1)}`;
    expect(await verified.claims(tampered)).toBeNull();
    expect(calls.n).toBe(2);
  });

  it('never remembers a refusal: a bad token is checked again every time', async () => {
    const { calls, verified } = countingVerifier();
    expect(await verified.claims('not.a.token')).toBeNull();
    expect(await verified.claims('not.a.token')).toBeNull();
    expect(calls.n).toBe(2);
    expect(verified.size).toBe(0);
  });

  it('keeps at most `max` tokens, dropping the oldest', async () => {
    const { tokens, calls, verified } = countingVerifier();
    const all = await Promise.all(
      ['a', 'b', 'c', 'd'].map((x) => tokens.signInstance(`inst_${x}`, 'usr', `jti_${x}`)),
    );
    for (const t of all) await verified.claims(t);
    expect(verified.size).toBe(3);
    calls.n = 0;
    await verified.claims(all[3]!); // newest: remembered
    await verified.claims(all[0]!); // oldest: dropped, verified again
    expect(calls.n).toBe(1);
  });
});
