import { execa } from 'execa';
import { WireGuardError } from '@cloud-connect/agent-core/wireguard';
import { commandFailure } from '../wireguard/commandRunner.js';

/**
 * Where the host's kernel sends one tunnel address, and whether the edge may dial it. Safe
 * means the packet stays on this machine (loopback, or an address of its own) or goes into a
 * WireGuard interface; anything else (the default route, a LAN interface, no route at all)
 * would make the edge a way into the operator's own network.
 */
export type TunnelRoute =
  | { safe: true; ip: string; dev: string; kind: 'loopback' | 'wireguard' }
  | {
      safe: false;
      ip: string;
      /** What the kernel does with it, e.g. `dev eth0 via 192.168.1.1` or `no route (…)`. */
      route: string;
      /** Why that is not allowed, for the operator. */
      why: string;
    };

/** The one question the route table asks before it lets the edge dial a tunnel address. */
export interface RouteGuard {
  /** A verdict for each address, from the host's routing as it stands now. */
  check(ips: readonly string[]): Promise<Map<string, TunnelRoute>>;
}

export interface ProgramResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/**
 * Runs one program with `input` on stdin and resolves with its output even when it exits
 * non-zero (`ip -force -batch` does once any line fails and still prints the others); rejects
 * with a WireGuardError only when it cannot run at all (not installed, not permitted).
 */
export type RunProgram = (
  file: string,
  args: readonly string[],
  input: string,
) => Promise<ProgramResult>;

export const execaProgramRunner: RunProgram = async (file, args, input) => {
  const r = await execa(file, [...args], {
    input,
    reject: false,
    timeout: 15_000,
    extendEnv: false,
    env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' },
  });
  const stderr = typeof r.stderr === 'string' ? r.stderr : '';
  const code = (r as { code?: string }).code;
  if (r.exitCode === undefined || code === 'ENOENT' || code === 'EACCES') {
    throw commandFailure(file, args, { code, stderr, exitCode: r.exitCode });
  }
  return { stdout: typeof r.stdout === 'string' ? r.stdout : '', stderr, exitCode: r.exitCode };
};

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

interface RouteGet {
  dst?: string;
  dev?: string;
  gateway?: string;
  type?: string;
}

interface LinkInfo {
  ifname?: string;
  flags?: string[];
  link_type?: string;
  linkinfo?: { info_kind?: string };
}

/**
 * `ip -j -force -batch -` answers: one JSON array per line that worked, and for each line
 * that failed its error followed by `Command failed -:<line>` on stderr.
 */
export function parseRouteBatch(
  ips: readonly string[],
  out: ProgramResult,
): Map<string, RouteGet | { error: string }> {
  const result = new Map<string, RouteGet | { error: string }>();
  for (const line of out.stdout.split('\n')) {
    if (!line.startsWith('[')) continue;
    try {
      const first = (JSON.parse(line) as RouteGet[])[0];
      if (first?.dst) result.set(first.dst, first);
    } catch {
      // not a route answer; the address is then reported as unanswered below
    }
  }
  let message = '';
  for (const line of out.stderr.split('\n')) {
    const failed = /^Command failed -:(\d+)/.exec(line.trim());
    if (!failed) {
      if (line.trim()) message = line.trim().replace(/^RTNETLINK answers:\s*/, '');
      continue;
    }
    const ip = ips[Number(failed[1]) - 1];
    if (ip !== undefined && !result.has(ip)) result.set(ip, { error: message || 'no route' });
    message = '';
  }
  return result;
}

/** `ip -j -d link show`: interface name → what it is. */
export function parseLinks(stdout: string): Map<string, LinkInfo> {
  const links = new Map<string, LinkInfo>();
  try {
    for (const l of JSON.parse(stdout) as LinkInfo[]) if (l.ifname) links.set(l.ifname, l);
  } catch {
    // an unreadable answer knows no interface: every route through one is then refused
  }
  return links;
}

/** The verdict for one answered address, given the host's links and its WireGuard interfaces. */
export function classifyRoute(
  ip: string,
  answer: RouteGet | { error: string } | undefined,
  links: Map<string, LinkInfo>,
  wireguard: { names: ReadonlySet<string>; unknownWhy: string | null },
): TunnelRoute {
  if (!answer) return { safe: false, ip, route: 'unknown', why: 'ip gave no answer for it' };
  if ('error' in answer)
    return { safe: false, ip, route: `no route (${answer.error})`, why: answer.error };
  const dev = answer.dev ?? '';
  const link = links.get(dev);
  const route = `dev ${dev || '?'}${answer.gateway ? ` via ${answer.gateway}` : ''}`;
  if (
    answer.type === 'local' ||
    link?.link_type === 'loopback' ||
    link?.flags?.includes('LOOPBACK')
  )
    return { safe: true, ip, dev, kind: 'loopback' };
  const kind = link?.linkinfo?.info_kind;
  if (kind === 'wireguard') return { safe: true, ip, dev, kind: 'wireguard' };
  // wireguard-go (and other userspace implementations) drive a plain tun device; it is
  // WireGuard when `wg` knows it by that name (a UAPI socket in /var/run/wireguard).
  if (kind === 'tun' && wireguard.names.has(dev)) return { safe: true, ip, dev, kind: 'wireguard' };
  if (kind === 'tun' && wireguard.unknownWhy !== null) {
    return {
      safe: false,
      ip,
      route,
      why: `${dev} is a tun device and whether it is WireGuard could not be checked: ${wireguard.unknownWhy}`,
    };
  }
  return {
    safe: false,
    ip,
    route,
    why: `${dev || 'that route'} is neither WireGuard nor loopback`,
  };
}

export interface KernelRouteGuardOptions {
  /**
   * Interfaces that are WireGuard without asking: the relay's own with WG_MODE=wireguard-go
   * or kernel (its tun is WireGuard by construction).
   */
  trustedInterfaces?: readonly string[];
  run?: RunProgram;
}

/**
 * Asks the kernel: `ip -j route get <ip>` for each address (one `ip -batch` process for all
 * of them), `ip -j -d link show` for what the output devices are, and `wg show interfaces`
 * only when a tun device needs telling apart from other tun devices. Read-only: it sends no
 * packet anywhere.
 */
export function kernelRouteGuard(options: KernelRouteGuardOptions = {}): RouteGuard {
  const run = options.run ?? execaProgramRunner;
  const trusted = new Set(options.trustedInterfaces ?? []);
  return {
    async check(ips) {
      const verdicts = new Map<string, TunnelRoute>();
      const valid = [...new Set(ips)].filter((ip) => {
        if (IPV4.test(ip)) return true;
        verdicts.set(ip, { safe: false, ip, route: 'unknown', why: 'not an IPv4 address' });
        return false;
      });
      if (valid.length === 0) return verdicts;
      try {
        const routes = parseRouteBatch(
          valid,
          await run(
            'ip',
            ['-j', '-force', '-batch', '-'],
            valid.map((ip) => `route get ${ip}\n`).join(''),
          ),
        );
        // A local route (loopback, or an address of this host) needs no look at the links.
        const needsLinks = [...routes.values()].some((r) => 'dev' in r && r.type !== 'local');
        const links = needsLinks
          ? parseLinks((await run('ip', ['-j', '-d', 'link', 'show'], '')).stdout)
          : new Map<string, never>();
        const needsWg = [...routes.values()].some(
          (r) =>
            'dev' in r &&
            r.dev &&
            !trusted.has(r.dev) &&
            links.get(r.dev)?.linkinfo?.info_kind === 'tun',
        );
        const wireguard = { names: new Set(trusted), unknownWhy: null as string | null };
        if (needsWg) {
          try {
            const wg = await run('wg', ['show', 'interfaces'], '');
            if (wg.exitCode === 0) {
              for (const n of wg.stdout.split(/\s+/)) if (n) wireguard.names.add(n);
            } else {
              wireguard.unknownWhy = `wg show interfaces failed: ${wg.stderr.trim()}`;
            }
          } catch (e) {
            wireguard.unknownWhy = (e as Error).message;
          }
        }
        for (const ip of valid) {
          const answer = routes.get(ip);
          const trustedDev = answer && 'dev' in answer && answer.dev && trusted.has(answer.dev);
          verdicts.set(
            ip,
            trustedDev
              ? { safe: true, ip, dev: answer.dev as string, kind: 'wireguard' }
              : classifyRoute(ip, answer, links, wireguard),
          );
        }
      } catch (e) {
        // ip missing or not permitted: nothing can be checked, so nothing is dialled.
        // 127/8 is loopback by definition (RFC 1122 3.2.1.3: never sent out of the host), so
        // a 127.x pool still works on a host without iproute2 (macOS development).
        const why = e instanceof WireGuardError ? e.message : `ip failed: ${(e as Error).message}`;
        for (const ip of valid) {
          verdicts.set(
            ip,
            ip.startsWith('127.')
              ? { safe: true, ip, dev: 'lo', kind: 'loopback' }
              : { safe: false, ip, route: 'unknown', why },
          );
        }
      }
      return verdicts;
    },
  };
}
