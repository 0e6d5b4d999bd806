import { describe, expect, it } from 'vitest';
import { publicUrlOf } from './publicUrl.js';

describe('publicUrlOf: the address a browser opens', () => {
  it('is plain http on EDGE_PORT for the built-in edge, without :80', () => {
    const builtin = { edgeMode: 'builtin', edgePublicUrl: null } as const;
    expect(publicUrlOf({ ...builtin, edgePort: 8080 }, 'photos.example.com')).toBe(
      'http://photos.example.com:8080',
    );
    expect(publicUrlOf({ ...builtin, edgePort: 80 }, 'photos.example.com')).toBe(
      'http://photos.example.com',
    );
  });

  it('is https on EDGE_PORT with Caddy, without :443; https on 443 for an outside edge', () => {
    const caddy = { edgeMode: 'caddy', edgePublicUrl: null } as const;
    expect(publicUrlOf({ ...caddy, edgePort: 443 }, 'a.example.com')).toBe('https://a.example.com');
    expect(publicUrlOf({ ...caddy, edgePort: 8443 }, 'a.example.com')).toBe(
      'https://a.example.com:8443',
    );
    expect(
      publicUrlOf({ edgeMode: 'off', edgePort: 8080, edgePublicUrl: null }, 'a.example.com'),
    ).toBe('https://a.example.com');
  });

  it('takes scheme and port from EDGE_PUBLIC_URL when one is configured', () => {
    const behindProxy = { edgeMode: 'builtin', edgePort: 8080 } as const;
    expect(
      publicUrlOf({ ...behindProxy, edgePublicUrl: 'https://example.com' }, 'a.example.com'),
    ).toBe('https://a.example.com');
    expect(
      publicUrlOf({ ...behindProxy, edgePublicUrl: 'http://example.com:9000' }, 'a.example.com'),
    ).toBe('http://a.example.com:9000');
  });
});
