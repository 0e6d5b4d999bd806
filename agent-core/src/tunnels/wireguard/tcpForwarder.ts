import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { TunnelError } from '../tunnelError.js';

export interface TcpForwarderOptions {
  listenHost: string;
  listenPort: number;
  targetHost: string;
  targetPort: number;
  /** Called when the target refuses or drops a connection (the Docker app is down). */
  onTargetError?: (error: TunnelError) => void;
}

export interface TcpForwarder {
  readonly listenHost: string;
  readonly listenPort: number;
  /** Connections open right now. */
  readonly connections: number;
  /** Connections accepted since start. */
  readonly accepted: number;
  close(): Promise<void>;
}

/**
 * Why the local app at `host:port` could not be used, in words that name the cause: a refusal
 * means nothing listens there (the app is down or on another port), an unknown name or an
 * unreachable host means the target address is wrong; none of them is about the internet.
 */
export function targetDialError(
  host: string,
  port: number,
  e: Pick<NodeJS.ErrnoException, 'code' | 'message'>,
): TunnelError {
  const at = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const details = { target: at, errno: e.code ?? null };
  switch (e.code) {
    case 'ECONNREFUSED':
      return new TunnelError(
        'TARGET_UNAVAILABLE',
        `The app at ${at} refused the connection: is it running and listening on port ${port}?`,
        details,
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new TunnelError(
        'TARGET_UNAVAILABLE',
        `The target host "${host}" is not known on this machine (${e.code}); check the target address`,
        details,
      );
    case 'ETIMEDOUT':
      return new TunnelError(
        'TARGET_UNAVAILABLE',
        `The app at ${at} did not answer (connection timed out); check the target address`,
        details,
      );
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new TunnelError(
        'TARGET_UNAVAILABLE',
        `The app at ${at} cannot be reached from this machine (${e.code}); check the target address`,
        details,
      );
    default:
      return new TunnelError(
        'TARGET_UNAVAILABLE',
        `The app at ${at} dropped the connection (${e.code ?? e.message})`,
        details,
      );
  }
}

/**
 * Open one TCP connection to the app and close it: null when it accepts, else why not. What
 * the forwarder does for every tunnel connection, done once for a connectivity test.
 */
export function dialTarget(
  host: string,
  port: number,
  timeoutMs = 3000,
): Promise<TunnelError | null> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const finish = (error: TunnelError | null) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(error);
    };
    const timer = setTimeout(
      () => finish(targetDialError(host, port, { code: 'ETIMEDOUT', message: 'timed out' })),
      timeoutMs,
    );
    socket.once('connect', () => finish(null));
    socket.once('error', (e: NodeJS.ErrnoException) => finish(targetDialError(host, port, e)));
  });
}

/**
 * A byte pipe from `listenHost:listenPort` (the agent's tunnel IP) to the Docker target. It is
 * plain TCP, so HTTP keep-alive, streaming bodies and WebSocket upgrades pass through as they are.
 */
export async function startTcpForwarder(options: TcpForwarderOptions): Promise<TcpForwarder> {
  const open = new Set<Socket>();
  const clients = new Set<Socket>();
  let accepted = 0;
  const server = createServer({ allowHalfOpen: true, noDelay: true }, (client) => {
    accepted += 1;
    const upstream = connect({
      host: options.targetHost,
      port: options.targetPort,
      allowHalfOpen: true,
      noDelay: true,
    });
    open.add(client);
    open.add(upstream);
    clients.add(client);
    let done = 0;
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
    };
    // Each direction ends on its own (half-close), the pair goes when both are finished.
    const finished = () => {
      if (++done === 2) closeBoth();
    };
    client.pipe(upstream).on('finish', finished);
    upstream.pipe(client).on('finish', finished);
    client.on('error', closeBoth);
    upstream.on('error', (e: NodeJS.ErrnoException) => {
      options.onTargetError?.(targetDialError(options.targetHost, options.targetPort, e));
      closeBoth();
    });
    client.on('close', () => {
      open.delete(client);
      clients.delete(client);
    });
    upstream.on('close', () => open.delete(upstream));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new TunnelError(
          e.code === 'EADDRINUSE' ? 'CONFIG_INVALID' : 'INTERNAL',
          `Cannot listen on ${options.listenHost}:${options.listenPort} for the tunnel (${e.code ?? e.message})`,
        ),
      ),
    );
    server.listen(options.listenPort, options.listenHost, () => resolve());
  });
  return {
    listenHost: options.listenHost,
    // The bound port (differs from the option when that was 0).
    listenPort: (server.address() as AddressInfo).port,
    get connections() {
      return clients.size;
    },
    get accepted() {
      return accepted;
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of open) s.destroy();
      });
    },
  };
}
