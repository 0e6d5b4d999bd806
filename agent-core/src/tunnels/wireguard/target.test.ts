import { describe, expect, it } from 'vitest';
import { parseTarget } from './target.js';

describe('parseTarget', () => {
  it('takes host and port of an http URL, 80/443 by default', () => {
    expect(parseTarget('http://localhost:8080')).toEqual({ host: 'localhost', port: 8080 });
    expect(parseTarget('http://app')).toEqual({ host: 'app', port: 80 });
    expect(parseTarget('https://[::1]')).toEqual({ host: '::1', port: 443 });
  });

  it.each(['localhost:8080', 'ftp://x:21', 'tcp://host'])('refuses %s with CONFIG_INVALID', (t) => {
    expect(() => parseTarget(t)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});
