import { describe, expect, it } from 'vitest';
import { clientAddressAt, clientAddresses, clientCount, parseCidr, serverAddress } from './cidr.js';

describe('tunnel address pool', () => {
  const pool = parseCidr('10.77.0.0/29');

  it('holds every address but network, server (.1) and broadcast', () => {
    expect(serverAddress(pool)).toBe('10.77.0.1');
    expect(clientCount(pool)).toBe(5);
    expect([...clientAddresses(pool)]).toEqual([
      '10.77.0.2',
      '10.77.0.3',
      '10.77.0.4',
      '10.77.0.5',
      '10.77.0.6',
    ]);
  });

  it('walks from any start, wrapping around and visiting each address once', () => {
    expect([...clientAddresses(pool, 3)]).toEqual([
      '10.77.0.5',
      '10.77.0.6',
      '10.77.0.2',
      '10.77.0.3',
      '10.77.0.4',
    ]);
    expect(clientAddressAt(pool, 5)).toBe('10.77.0.2');
  });

  it('crosses octet boundaries in larger pools', () => {
    const big = parseCidr('10.100.0.0/16');
    expect(clientCount(big)).toBe(65_533);
    expect(clientAddressAt(big, 254)).toBe('10.100.1.0');
    expect(clientAddressAt(big, 65_532)).toBe('10.100.255.254');
  });
});
