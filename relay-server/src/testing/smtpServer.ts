import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** One message as the SMTP server received it. */
export interface ReceivedMail {
  from: string;
  to: string[];
  /** The user the relay authenticated as, if it did. */
  user: string | undefined;
  raw: string;
}

export interface TestSmtpServer {
  port: number;
  /** `smtp://user:password@127.0.0.1:port`, ready for SMTP_URL. */
  url: string;
  received: ReceivedMail[];
  /** With `hold`: accept every message held so far, and from now on at once. */
  release(): void;
  close(): Promise<void>;
}

/**
 * A real SMTP server (smtp-server) on a loopback port that requires `user`/`password` and
 * keeps every message it accepts. No STARTTLS, so plain AUTH is allowed on loopback.
 * `acceptDelayMs` makes it take that long to accept each message, like a slow mail server;
 * `hold` keeps every message unaccepted (the client waits for the answer to its data) until
 * `release()`, for tests that must not depend on how fast the machine is.
 */
export async function startSmtpServer(
  user: string,
  password: string,
  { acceptDelayMs = 0, hold = false }: { acceptDelayMs?: number; hold?: boolean } = {},
): Promise<TestSmtpServer> {
  const received: ReceivedMail[] = [];
  let held: (() => void)[] | undefined = hold ? [] : undefined;
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, done) {
      if (auth.username === user && auth.password === password) done(null, { user });
      else done(new Error('Invalid username or password'));
    },
    onData(stream, session, done) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const accept = () => {
          received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            user: session.user,
            raw: Buffer.concat(chunks).toString('utf8'),
          });
          done();
        };
        setTimeout(() => (held ? held.push(accept) : accept()), acceptDelayMs);
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    port,
    url: `smtp://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}`,
    received,
    release() {
      const waiting = held ?? [];
      held = undefined;
      for (const accept of waiting) accept();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The decoded text/plain part of a MIME message (quoted-printable, base64 or as-is). */
export function mailText(raw: string): string {
  const message = raw.replace(/\r\n/g, '\n');
  const boundary = /boundary="?([^"\n;]+)"?/i.exec(message)?.[1];
  const parts = boundary ? message.split(`--${boundary}`) : [message];
  const part = parts.find((p) => /content-type:\s*text\/plain/i.test(p));
  if (!part) throw new Error('the message has no text/plain part');
  const split = part.indexOf('\n\n');
  const headers = part.slice(0, split);
  const body = part.slice(split + 2);
  const encoding = /content-transfer-encoding:\s*(\S+)/i.exec(headers)?.[1]?.toLowerCase();
  if (encoding === 'base64') return Buffer.from(body, 'base64').toString('utf8');
  if (encoding === 'quoted-printable') {
    const bytes = body
      .replace(/=\n/g, '')
      .replace(/=([0-9A-F]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8');
  }
  return body;
}
