// The tunnel address pool (TUNNEL_CIDR) as arithmetic, with no imports: a leaf that config
// parses the pool with and that WireGuard, the edge and the instance commands hand out
// addresses from, so none of them imports another for it.

/** An IPv4 network as numbers, for handing out tunnel addresses. */
export interface Cidr {
  network: number;
  prefix: number;
  text: string;
}

export function ipToInt(ip: string): number {
  const parts = ip.split('.');
  if (parts.length !== 4) throw new Error(`"${ip}" is not an IPv4 address`);
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) throw new Error(`"${ip}" is not an IPv4 address`);
    n = n * 256 + Number(p);
  }
  return n;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function parseCidr(text: string): Cidr {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d{1,2})$/.exec(text.trim());
  if (!m || !m[1] || !m[2])
    throw new Error(`must be an IPv4 CIDR such as 10.100.0.0/16, got "${text}"`);
  const prefix = Number(m[2]);
  if (prefix < 8 || prefix > 32)
    throw new Error(`prefix must be between /8 and /32, got /${prefix}`);
  const ip = ipToInt(m[1]);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  if ((ip & mask) >>> 0 !== ip) {
    throw new Error(
      `"${text}" has host bits set; the network is ${intToIp((ip & mask) >>> 0)}/${prefix}`,
    );
  }
  return { network: ip, prefix, text: `${m[1]}/${prefix}` };
}

/** The server's own tunnel address: the first usable address of the pool. */
export function serverAddress(cidr: Cidr): string {
  return intToIp(cidr.network + 1);
}

/** How many client addresses the pool holds (all but network, server and broadcast). */
export function clientCount(cidr: Cidr): number {
  return 2 ** (32 - cidr.prefix) - 3;
}

/** The k-th client address (0 is .2), wrapping around the pool. */
export function clientAddressAt(cidr: Cidr, k: number): string {
  return intToIp(cidr.network + 2 + (k % clientCount(cidr)));
}

/**
 * Client addresses in order: .2 up to the last address before broadcast. With `start`, the
 * walk begins at the start-th client address and wraps around, still visiting each once.
 */
export function* clientAddresses(cidr: Cidr, start = 0): Generator<string> {
  const count = clientCount(cidr);
  for (let k = 0; k < count; k++) yield clientAddressAt(cidr, start + k);
}

export function contains(cidr: Cidr, ip: string): boolean {
  const mask = (0xffffffff << (32 - cidr.prefix)) >>> 0;
  return (ipToInt(ip) & mask) >>> 0 === cidr.network;
}
