import { describe, expect, it } from 'vitest';
import { interfaceNamer, uniqueInterfaceName } from './interfaceName.js';

describe('uniqueInterfaceName', () => {
  it('fits in 15 characters and differs every time', () => {
    const a = uniqueInterfaceName('ccwg');
    const b = uniqueInterfaceName('ccwg');
    expect(a).toMatch(/^ccwg[0-9a-f]{8}$/);
    expect(a).not.toBe(b);
    expect(uniqueInterfaceName('hG12abcda')).toHaveLength(15);
  });

  it('refuses a prefix that leaves no room for the random part', () => {
    expect(() => uniqueInterfaceName('much-too-long')).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
  });
});

describe('interfaceNamer', () => {
  it('gives a fresh unique name with the prefix at every start', () => {
    const next = interfaceNamer({ interfacePrefix: 'cctest' });
    const names = [next(), next(), next()];
    expect(new Set(names).size).toBe(3);
    for (const name of names) expect(name).toMatch(/^cctest[0-9a-f]{8}$/);
  });

  it('uses ccwg when no prefix is given, and an empty fixed name as none', () => {
    expect(interfaceNamer({})()).toMatch(/^ccwg[0-9a-f]{8}$/);
    expect(interfaceNamer({ interfaceName: '' })()).toMatch(/^ccwg[0-9a-f]{8}$/);
  });

  it('gives the fixed name every time when one is set', () => {
    const next = interfaceNamer({ interfaceName: 'wg-site', interfacePrefix: 'ignored' });
    expect([next(), next()]).toEqual(['wg-site', 'wg-site']);
  });

  it('refuses a prefix with no room for the random part when made, before any start', () => {
    expect(() => interfaceNamer({ interfacePrefix: 'much-too-long' })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
  });

  it.each(['sixteen-chars-xx', 'has space', 'semi;colon'])(
    'refuses the fixed name %j with CONFIG_INVALID when a start asks for it',
    (name) => {
      const next = interfaceNamer({ interfaceName: name });
      expect(() => next()).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    },
  );
});
