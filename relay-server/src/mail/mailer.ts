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

/** SMTP via nodemailer; `SMTP_URL` carries host, port, TLS and credentials. */
export function smtpMailer(smtpUrl: string, from: string, logger: Logger): Mailer {
  const transport = nodemailer.createTransport(smtpUrl);
  return {
    kind: 'smtp',
    async send(message) {
      await transport.sendMail({ from, ...message });
      logger.info({ to: message.to, subject: message.subject }, 'mail sent over SMTP');
    },
    async close() {
      transport.close();
    },
  };
}
