import { describe, expect, it } from 'vitest';
import { ConnectionPatch as StoredConnectionPatch } from '../settings/settingsSchema.js';
import { ConnectionPatch, DesktopApiArgs } from './desktopApi.js';

const CF_TOKEN = `eyJ${'a'.repeat(60)}`;

// The DesktopApi's ConnectionPatch is derived from the settings' one; these pin that the
// derivation keeps it strict and adds only the secrets.
describe('ConnectionPatch (a change to a connection as the user makes it)', () => {
  it.each([
    ['a name', { name: 'Photos' }],
    ['no target', { target: null }],
    ['a target', { target: 'http://localhost:8080' }],
    ['enabled', { enabled: true }],
    ['a Cloudflare token', { token: CF_TOKEN }],
    ['an instance token', { instanceToken: 'x'.repeat(32) }],
  ])('accepts %s', (_, patch) => {
    expect(ConnectionPatch.safeParse(patch).success).toBe(true);
  });

  it.each([
    ['nothing', {}, ''],
    ['an instance (a connection keeps its instance)', { instanceId: 'inst_abcdefghij12' }, ''],
    ['a field no connection has', { colour: 'red' }, ''],
    ['a kind', { kind: 'cloudflare' }, ''],
    ['a short token', { token: 'eyJshort' }, 'token'],
    ['a bad target', { target: 'localhost' }, 'target'],
  ])('refuses %s', (_, patch, field) => {
    const parsed = ConnectionPatch.safeParse(patch);
    expect(parsed.success).toBe(false);
    if (field) expect(parsed.error?.issues.map((i) => i.path[0])).toContain(field);
  });

  it('takes the name and target rules of the settings store', () => {
    for (const patch of [{ name: '' }, { name: 'x'.repeat(101) }, { target: 'ftp://x' }]) {
      expect(ConnectionPatch.safeParse(patch).success).toBe(false);
      expect(StoredConnectionPatch.safeParse(patch).success).toBe(false);
    }
  });

  it('is the second argument of updateConnection', () => {
    expect(
      DesktopApiArgs.updateConnection.safeParse(['conn_abcdef', { enabled: false }]).success,
    ).toBe(true);
    expect(DesktopApiArgs.updateConnection.safeParse(['conn_abcdef', { secret: 1 }]).success).toBe(
      false,
    );
  });
});
