import { connect } from 'node:net';

export type ProbeResult = 'open' | 'refused' | 'timeout' | 'unreachable';

export interface ProbeOutcome {
  /** A SYN went through the tunnel and an answer came back (SYN-ACK or RST). */
  reachable: boolean;
  result: ProbeResult;
  latencyMs: number;
}

/**
 * Is `host` reachable? A TCP connect to `host:port`: both an accepted and a refused connection
 * prove the round trip (the RST came back through the tunnel); a timeout proves nothing got
 * through, and "no route" means the path is not there at all.
 */
export function probeTcp(host: string, port: number, timeoutMs = 3000): Promise<ProbeOutcome> {
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const finish = (result: ProbeResult) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({
        reachable: result === 'open' || result === 'refused',
        result,
        latencyMs: Math.round((performance.now() - started) * 100) / 100,
      });
    };
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    socket.once('connect', () => finish('open'));
    socket.once('error', (e: NodeJS.ErrnoException) =>
      finish(e.code === 'ECONNREFUSED' ? 'refused' : 'unreachable'),
    );
  });
}
