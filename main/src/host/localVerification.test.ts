import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ManagerApi, SessionView } from '@cloud-connect/agent-core/desktop';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  localRelayMail,
  localVerification,
  newestVerificationToken,
  NO_LOCAL_VERIFICATION,
} from './localVerification.js';
import { webHostApi } from './webHostApi.js';

const TOKEN_A = 'a'.repeat(43);
const TOKEN_B = 'b'.repeat(43);

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cc-local-verify-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A mail as relay-server's outbox mailer writes it: one JSON file, named by when it was sent. */
async function mail(name: string, to: string, text: string): Promise<void> {
  await mkdir(path.join(dir, 'outbox'), { recursive: true });
  await writeFile(
    path.join(dir, 'outbox', `${name}.json`),
    JSON.stringify({ to, subject: 'Verify your email', text, html: '', sent_at: name }),
  );
}

const link = (token: string) => `Open http://127.0.0.1:8787/verify-email?token=${token} to verify.`;

describe('localRelayMail', () => {
  it.each([
    ['no local relay dir', { CLOUD_CONNECT_RELAY_URL: 'http://127.0.0.1:8787' }],
    ['no relay URL', { CLOUD_CONNECT_LOCAL_RELAY_DIR: '/tmp/relay' }],
    [
      'a relay on another host',
      {
        CLOUD_CONNECT_LOCAL_RELAY_DIR: '/tmp/relay',
        CLOUD_CONNECT_RELAY_URL: 'https://relay.example.com',
      },
    ],
    [
      'a relay URL that only starts like loopback',
      {
        CLOUD_CONNECT_LOCAL_RELAY_DIR: '/tmp/relay',
        CLOUD_CONNECT_RELAY_URL: 'http://127.0.0.1.example.com:8787',
      },
    ],
    [
      'a URL that is not http(s)',
      { CLOUD_CONNECT_LOCAL_RELAY_DIR: '/tmp/relay', CLOUD_CONNECT_RELAY_URL: 'file:///tmp' },
    ],
  ])('is off with %s', (_case, env) => {
    expect(localRelayMail(env)).toBeNull();
  });

  it.each(['http://127.0.0.1:8787/', 'http://localhost:8787', 'http://[::1]:8787'])(
    'names the outbox of a relay on loopback (%s)',
    (url) => {
      expect(
        localRelayMail({
          CLOUD_CONNECT_LOCAL_RELAY_DIR: '/tmp/relay',
          CLOUD_CONNECT_RELAY_URL: url,
        }),
      ).toEqual({ relayUrl: url.replace(/\/$/, ''), outboxDir: '/tmp/relay/outbox' });
    },
  );
});

describe('newestVerificationToken', () => {
  it('takes the newest verification link mailed to the address, whatever its case', async () => {
    await mail('2026-12-08T00-00-01-000Z-1', 'Ann@Example.test', link(TOKEN_A));
    await mail('2026-12-08T00-00-02-000Z-2', 'ann@example.test', link(TOKEN_B));
    await mail('2026-12-08T00-00-03-000Z-3', 'bob@example.test', link('c'.repeat(43)));
    // A newer mail to Ann without a verification link (a password reset) does not count.
    await mail(
      '2026-12-08T00-00-04-000Z-4',
      'ann@example.test',
      'http://127.0.0.1:8787/reset-password?token=x',
    );
    await writeFile(path.join(dir, 'outbox', '2026-12-08T00-00-05-000Z-5.json'), '{not json');

    expect(await newestVerificationToken(path.join(dir, 'outbox'), 'ANN@example.test')).toBe(
      TOKEN_B,
    );
  });

  it('finds nothing for an address without mail, or without an outbox', async () => {
    await mail('2026-12-08T00-00-01-000Z-1', 'bob@example.test', link(TOKEN_A));
    expect(await newestVerificationToken(path.join(dir, 'outbox'), 'ann@example.test')).toBeNull();
    expect(await newestVerificationToken(path.join(dir, 'missing'), 'bob@example.test')).toBeNull();
  });
});

/** A Manager's session and verification, recording the tokens it is asked to verify with. */
function managerAt(relayUrl: string) {
  const verified: string[] = [];
  const session: SessionView = { signedIn: false, relayUrl, user: null };
  const manager: Pick<ManagerApi, 'getSession' | 'verifyEmail'> = {
    getSession: async () => ({ ok: true, value: session }),
    verifyEmail: async (token) => {
      verified.push(token);
      return { ok: true, value: { message: 'Email verified' } };
    },
  };
  return { manager, verified };
}

describe('localVerification', () => {
  const relayUrl = 'http://127.0.0.1:8787';

  it('verifies with the newest link to the address when the app uses the local relay', async () => {
    await mail('2026-12-08T00-00-01-000Z-1', 'ann@example.test', link(TOKEN_A));
    const { manager, verified } = managerAt(relayUrl);
    const local = localVerification({ relayUrl, outboxDir: path.join(dir, 'outbox') }, manager);

    expect(await local.verifyEmailLocally('ann@example.test')).toEqual({
      ok: true,
      value: { message: 'Email verified' },
    });
    expect(verified).toEqual([TOKEN_A]);
    expect(local.relayUrl).toBe(relayUrl);
  });

  it('refuses when the app uses another relay, without reading any mail', async () => {
    await mail('2026-12-08T00-00-01-000Z-1', 'ann@example.test', link(TOKEN_A));
    const { manager, verified } = managerAt('https://relay.example.com');
    const local = localVerification({ relayUrl, outboxDir: path.join(dir, 'outbox') }, manager);

    const result = await local.verifyEmailLocally('ann@example.test');
    expect(result).toMatchObject({ ok: false, code: 'NOT_SUPPORTED' });
    expect(result.ok || result.message).toContain('the app now uses https://relay.example.com');
    expect(verified).toEqual([]);
  });

  it('refuses without a local relay, and the web host then offers no button', async () => {
    const { manager, verified } = managerAt(relayUrl);
    const local = localVerification(null, manager);
    expect(local).toBe(NO_LOCAL_VERIFICATION);
    expect(await local.verifyEmailLocally('ann@example.test')).toMatchObject({
      ok: false,
      code: 'NOT_SUPPORTED',
    });
    expect(verified).toEqual([]);
    const info = await webHostApi('test', undefined, local).getAppInfo();
    expect(info.ok && info.value.localRelayUrl).toBeNull();
  });

  it('says so when no verification mail to the address is in the outbox', async () => {
    const { manager, verified } = managerAt(relayUrl);
    const local = localVerification({ relayUrl, outboxDir: path.join(dir, 'outbox') }, manager);
    expect(await local.verifyEmailLocally('ann@example.test')).toEqual({
      ok: false,
      code: 'NOT_FOUND',
      message: "No verification mail to ann@example.test is in the local relay's outbox",
    });
    expect(verified).toEqual([]);
  });

  it('tells the renderer which relay is local through the web host’s app info', async () => {
    const { manager } = managerAt(relayUrl);
    const local = localVerification({ relayUrl, outboxDir: path.join(dir, 'outbox') }, manager);
    const info = await webHostApi('test', undefined, local).getAppInfo();
    expect(info.ok && info.value.localRelayUrl).toBe(relayUrl);
  });
});
