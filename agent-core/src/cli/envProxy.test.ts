import { describe, expect, it } from 'vitest';
import { apiProxyEnv } from './envProxy.js';

describe('apiProxyEnv', () => {
  it.each([
    [{}, null],
    [{ HTTPS_PROXY: '  ' }, null],
    [{ HTTPS_PROXY: 'http://p:3128' }, { HTTPS_PROXY: 'http://p:3128' }],
    [
      { https_proxy: 'http://p:3128', no_proxy: 'localhost' },
      { HTTPS_PROXY: 'http://p:3128', NO_PROXY: 'localhost' },
    ],
    [
      { ALL_PROXY: 'http://all:3128' },
      { HTTPS_PROXY: 'http://all:3128', HTTP_PROXY: 'http://all:3128' },
    ],
    [
      { ALL_PROXY: 'http://all:3128', HTTP_PROXY: 'http://plain:3128', NO_PROXY: '127.0.0.1' },
      { HTTPS_PROXY: 'http://all:3128', HTTP_PROXY: 'http://plain:3128', NO_PROXY: '127.0.0.1' },
    ],
  ])('%j → %j', (env, expected) => {
    expect(apiProxyEnv(env)).toEqual(expected);
  });
});
