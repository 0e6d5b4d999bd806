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
      options.onTargetError?.(
        new TunnelError(
          'TARGET_UNAVAILABLE',
          `The local app at ${options.targetHost}:${options.targetPort} did not accept the connection (${e.code ?? e.message}); is it running?`,
        ),
      );
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
