import type { Socket } from 'node:net';
import { duplexPair, type Duplex } from 'node:stream';
import { TLSSocket } from 'node:tls';

/**
 * What an HTTP/2 session over an upgraded socket runs on. A plain TCP socket is handed over as
 * it is (http2 then reads and writes its handle directly, the fast path). A TLS socket goes
 * through a stream pair: in Node 24, http2 run straight on a TLS socket it did not open itself
 * does not work (on the serving side no session comes up; on the client side the process
 * aborts in `Http2Session::OnStreamAfterWrite: Assertion failed: is_write_in_progress()`),
 * and every session to an https relay URL is such a socket. Either end of a session can use it.
 */
export function sessionTransport(socket: Socket): Duplex {
  if (!(socket instanceof TLSSocket)) return socket;
  const [near, far] = duplexPair();
  socket.pipe(near);
  near.pipe(socket);
  const end = () => {
    socket.destroy();
    near.destroy();
  };
  socket.once('close', end);
  far.once('close', end);
  near.on('error', end);
  return far;
}
