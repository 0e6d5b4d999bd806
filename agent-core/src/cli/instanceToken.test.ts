import { describe, expect, it } from 'vitest';
import { instanceIdOfToken } from './instanceToken.js';

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const jwt = (payload: unknown) =>
  `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(payload)}.c2lnbmF0dXJl`;

describe('instanceIdOfToken', () => {
  it('reads the instance id from the subject of an instance token', () => {
    expect(instanceIdOfToken(jwt({ typ: 'instance', sub: 'inst_abc', uid: 'usr_1' }))).toBe(
      'inst_abc',
    );
  });

  it('refuses anything that is not an instance token', () => {
    expect(instanceIdOfToken(jwt({ typ: 'access', sub: 'usr_1' }))).toBeNull();
    expect(instanceIdOfToken(jwt({ typ: 'instance' }))).toBeNull();
    expect(instanceIdOfToken('not-a-jwt')).toBeNull();
    expect(instanceIdOfToken('a.%%%.c')).toBeNull();
    expect(instanceIdOfToken('')).toBeNull();
  });
});
