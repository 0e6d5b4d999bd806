import { startSmtpServer, type TestSmtpServer } from './smtpServer.js';
import { startTestRelay, type TestRelay, type TestRelayOptions } from './testRelay.js';

/**
 * An SMTP server that takes `user` and `password` (holding every message until released, with
 * `hold`), and a relay that sends its mail through it: SMTP_URL with those credentials unless
 * `relay.env` names another. The password is in the relay's secret ledger.
 */
export async function startSmtpRelay(
  user: string,
  password: string,
  options: { hold?: boolean; relay?: TestRelayOptions } = {},
): Promise<{ smtp: TestSmtpServer; t: TestRelay }> {
  const smtp = await startSmtpServer(user, password, { hold: options.hold });
  const t = await startTestRelay({
    ...options.relay,
    env: { SMTP_URL: smtp.url, ...options.relay?.env },
  });
  t.ledger.add(password);
  return { smtp, t };
}
