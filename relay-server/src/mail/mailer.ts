import { randomBytes } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { Logger } from '../logging/logger.js';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface Mailer {
  /** `outbox` or `smtp`, for /health and the start-up log. */
  readonly kind: 'outbox' | 'smtp';
  /** Resolves once the message is written (outbox) or handed to background delivery (SMTP). */
  send(message: MailMessage): Promise<void>;
  close(): Promise<void>;
}

/**
 * The default transport: each message is one JSON file in `<data dir>/outbox/`, written
 * atomically. The log names the file, not the link, because the link holds a token.
 */
export function outboxMailer(dataDir: string, logger: Logger): Mailer {
  const dir = path.join(dataDir, 'outbox');
  return {
    kind: 'outbox',
    async send(message) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(4).toString('hex')}.json`;
      const file = path.join(dir, name);
      const tmp = `${file}.tmp`;
      await writeFile(
        tmp,
        JSON.stringify({ ...message, sent_at: new Date().toISOString() }, null, 2),
        {
          mode: 0o600,
        },
      );
      await rename(tmp, file);
      logger.info(
        { to: message.to, subject: message.subject, file },
        'mail written to outbox (open the file for its link)',
      );
    },
    async close() {},
  };
}

/**
 * SMTP via nodemailer; `SMTP_URL` carries host, port, TLS and credentials.
 *
 * `send` hands the message over and returns at once; delivery runs in the background and a
 * failure is logged. A request therefore never waits on the mail server, so its timing cannot
 * tell whether a mail went out: resend-verification and forgot-password mail only existing
 * accounts, and a round trip to the SMTP server would reveal which ones exist. `close` waits
 * for the deliveries under way.
 */
export function smtpMailer(smtpUrl: string, from: string, logger: Logger): Mailer {
  const transport = nodemailer.createTransport(smtpUrl);
  const underWay = new Set<Promise<void>>();
  return {
    kind: 'smtp',
    async send(message) {
      const fields = { to: message.to, subject: message.subject };
      const delivery: Promise<void> = transport
        .sendMail({ from, ...message })
        .then(
          () => logger.info(fields, 'mail sent over SMTP'),
          (e: unknown) =>
            logger.error(
              { ...fields, mail: 'smtp', reason: (e as Error).message },
              'mail could not be sent',
            ),
        )
        .finally(() => underWay.delete(delivery));
      underWay.add(delivery);
    },
    async close() {
      await Promise.allSettled([...underWay]);
      transport.close();
    },
  };
}
