import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createManager, type Manager } from '@cloud-connect/agent-core/manager';
import { startTestRelay, type TestRelay } from '@cloud-connect/relay-server/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  localRelayMail,
  localVerification,
  type LocalVerification,
} from '../main/src/host/localVerification.js';

/**
 * One-click verification against a real relay (lowdb, argon2, outbox mail) and a real Manager:
 * the host reads the relay's outbox as `npm start` configures it and verifies through the
 * Manager; a sign-up on another relay, or mail it cannot find, changes nothing.
 */
let relay: TestRelay;
let dir: string;
let manager: Manager;
let local: LocalVerification;

beforeEach(async () => {
  relay = await startTestRelay();
  dir = await mkdtemp(path.join(tmpdir(), 'cc-local-verify-'));
  // What `npm start` hands the app: the relay it launched and that relay's data dir.
  const env = { CLOUD_CONNECT_RELAY_URL: relay.url, CLOUD_CONNECT_LOCAL_RELAY_DIR: relay.dataDir };
  manager = await createManager({
    dataDir: dir,
    env: { CLOUD_CONNECT_SECRET_KEY: 'local-verification-test-key-0123456789' },
    relayUrl: relay.url,
    statusRunner: null,
  });
  local = localVerification(localRelayMail(env), manager);
});

afterEach(async () => {
  await manager.shutdown();
  await relay.stop();
  await rm(dir, { recursive: true, force: true });
});

async function signUp(email: string, password: string): Promise<void> {
  relay.ledger.add(password);
  const result = await manager.signUp({
    name: 'Local Trial',
    email,
    password,
    password_confirmation: password,
    accept_terms: true,
    accept_privacy: true,
  });
  expect(result.ok).toBe(true);
}

describe('one-click verification on the local relay', () => {
  it('verifies a new sign-up from the outbox, and the signed-in session shows it verified', async () => {
    const email = 'trial@example.test';
    const password = 'a local trial password';
    await signUp(email, password);
    expect(await manager.signIn(email, password)).toMatchObject({
      ok: true,
      value: { user: { email, email_verified: false } },
    });
    relay.ledger.add(await relay.mailToken(email, 'verify-email'));

    expect(await local.verifyEmailLocally(email)).toMatchObject({ ok: true });
    expect(await manager.getSession()).toMatchObject({
      ok: true,
      value: { signedIn: true, user: { email, email_verified: true } },
    });
    // The link's token never reached the relay's log (the ledger is checked when it stops).
  });

  it('answers the relay’s refusal when the newest link was used already', async () => {
    const email = 'twice@example.test';
    await signUp(email, 'a local trial password');
    relay.ledger.add(await relay.mailToken(email, 'verify-email'));
    expect(await local.verifyEmailLocally(email)).toMatchObject({ ok: true });
    expect(await local.verifyEmailLocally(email)).toMatchObject({
      ok: false,
      code: 'VALIDATION_ERROR',
    });
  });

  it('refuses once the app uses another relay, and the account stays unverified', async () => {
    const email = 'switched@example.test';
    const password = 'a local trial password';
    await signUp(email, password);
    relay.ledger.add(await relay.mailToken(email, 'verify-email'));
    expect(await manager.setRelayUrl('http://127.0.0.1:9')).toMatchObject({ ok: true });

    expect(await local.verifyEmailLocally(email)).toMatchObject({
      ok: false,
      code: 'NOT_SUPPORTED',
    });
    await manager.setRelayUrl(relay.url);
    expect(await manager.signIn(email, password)).toMatchObject({
      ok: true,
      value: { user: { email, email_verified: false } },
    });
  });

  it('finds no mail for an address that never signed up', async () => {
    expect(await local.verifyEmailLocally('stranger@example.test')).toMatchObject({
      ok: false,
      code: 'NOT_FOUND',
    });
  });
});
