import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { latestMailToken, sleep, until } from '@cloud-connect/relay-server/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { startRelayProcess, type RelayProcess } from './harness/relayProcess.js';

/**
 * `kill -9` of the real relay-server process under write load, then a restart on the same
 * data dir: every request that got a 2xx must still be there. The load is what the API
 * sees in life: sign-ups (with argon2), email verification, instance creates, tunnel
 * registrations, heartbeats (the hot path) and renames, from several concurrent clients.
 */

interface AckedUser {
  password: string;
  verified: boolean;
}
interface AckedInstance {
  email: string;
  token: string;
  /** The last name a rename was acknowledged for (or the name it was created with). */
  name: string;
  /** A rename sent but not answered when the server died: it may or may not have landed. */
  pendingName: string | null;
  registered: boolean;
  /** Client clock just before sending the latest acknowledged heartbeat. */
  heartbeatSentAt: number | null;
}

class Ledger {
  users = new Map<string, AckedUser>();
  instances = new Map<string, AckedInstance>();
  heartbeats = 0;
  renames = 0;
  /** Answers that were neither a 2xx nor a connection failure: each is a bug. */
  unexpected: string[] = [];
  /** Every password and token a client used: none may appear in the server's output. */
  secrets = new Set<string>();
}

type Answer = { status: number; body: Record<string, unknown> } | null;

/** One request; null when the connection failed (the server is gone). */
async function call(
  base: string,
  method: string,
  url: string,
  body?: unknown,
  token?: string,
): Promise<Answer> {
  try {
    const res = await fetch(`${base}/v1${url}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? null : JSON.stringify(body),
      signal: AbortSignal.timeout(20_000),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  } catch {
    return null;
  }
}

/** The verify-email token from the outbox, once the mail is there. */
const mailToken = (dataDir: string, email: string) =>
  until(
    `the verify mail to ${email}`,
    () => latestMailToken(dataDir, email, 'verify-email'),
    1000,
    50,
  );

/**
 * One client: sign up, verify, sign in, create an instance, register its tunnel, then
 * heartbeats with a rename every fourth call; again with a new account, until the server
 * dies. Only 2xx answers go into the ledger.
 */
async function client(
  base: string,
  dataDir: string,
  label: string,
  ledger: Ledger,
  stopped: () => boolean,
): Promise<void> {
  const expectOk = (what: string, res: Answer, status: number): res is NonNullable<Answer> => {
    if (res === null) return false;
    if (res.status !== status) {
      ledger.unexpected.push(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
      return false;
    }
    return true;
  };
  for (let k = 0; !stopped(); k++) {
    const email = `${label}k${k}@example.test`;
    const password = `pw-${randomBytes(9).toString('base64url')}`;
    ledger.secrets.add(password);
    const reg = await call(base, 'POST', '/auth/register', {
      name: `Client ${label}`,
      email,
      password,
      password_confirmation: password,
      accept_terms: true,
      accept_privacy: true,
    });
    if (!expectOk('register', reg, 201)) return;
    ledger.users.set(email, { password, verified: false });

    const verifyToken = await mailToken(dataDir, email);
    ledger.secrets.add(verifyToken);
    if (
      !expectOk(
        'verify',
        await call(base, 'POST', '/auth/verify-email', { token: verifyToken }),
        200,
      )
    )
      return;
    ledger.users.get(email)!.verified = true;

    const login = await call(base, 'POST', '/auth/login', { email, password });
    if (!expectOk('login', login, 200)) return;
    const access = login.body.access_token as string;
    ledger.secrets.add(access);

    const name = `${label} ${k} v0`;
    const created = await call(
      base,
      'POST',
      '/instances',
      { name, subdomain: `${label}k${k}` },
      access,
    );
    if (!expectOk('create instance', created, 201)) return;
    const id = (created.body.instance as { id: string }).id;
    const token = (created.body.credentials as { instance_token: string }).instance_token;
    ledger.secrets.add(token);
    const inst: AckedInstance = {
      email,
      token,
      name,
      pendingName: null,
      registered: false,
      heartbeatSentAt: null,
    };
    ledger.instances.set(id, inst);

    const publicKey = randomBytes(32).toString('base64');
    const reg2 = await call(base, 'POST', '/tunnel/register', { public_key: publicKey }, token);
    if (!expectOk('tunnel register', reg2, 200)) return;
    inst.registered = true;

    // Stay well inside the per-instance tunnel budget (120 calls a minute).
    for (let j = 1; j <= 60 && !stopped(); j++) {
      if (j % 4 === 0) {
        const next = `${label} ${k} v${j}`;
        inst.pendingName = next;
        const res = await call(base, 'PATCH', `/instances/${id}`, { name: next }, access);
        if (!expectOk('rename', res, 200)) return;
        inst.name = next;
        inst.pendingName = null;
        ledger.renames += 1;
      } else {
        const sentAt = Date.now();
        const res = await call(base, 'POST', '/tunnel/heartbeat', {}, token);
        if (!expectOk('heartbeat', res, 200)) return;
        inst.heartbeatSentAt = sentAt;
        ledger.heartbeats += 1;
      }
    }
  }
}

/** Every acknowledged write of the ledger, checked through the API of a restarted server. */
async function expectAllAcknowledged(base: string, ledger: Ledger): Promise<void> {
  const access = new Map<string, string>();
  for (const [email, user] of ledger.users) {
    const login = await call(base, 'POST', '/auth/login', { email, password: user.password });
    expect(login?.status, `login of ${email}`).toBe(200);
    const session = login!.body;
    if (user.verified) {
      expect((session.user as { email_verified: boolean }).email_verified, email).toBe(true);
    }
    access.set(email, session.access_token as string);
    ledger.secrets.add(session.access_token as string);
    ledger.secrets.add(session.refresh_token as string);
  }
  for (const [id, inst] of ledger.instances) {
    const got = await call(base, 'GET', `/instances/${id}`, undefined, access.get(inst.email));
    expect(got?.status, `instance ${id}`).toBe(200);
    const body = got!.body as { name: string; last_seen: string | null };
    expect([inst.name, inst.pendingName], `name of ${id}`).toContain(body.name);
    if (inst.heartbeatSentAt !== null) {
      expect(body.last_seen, `last_seen of ${id}`).not.toBeNull();
      expect(Date.parse(body.last_seen!), `last_seen of ${id}`).toBeGreaterThanOrEqual(
        inst.heartbeatSentAt,
      );
    }
    if (inst.registered) {
      // A registered tunnel takes heartbeats; an unregistered one would answer 409-ish.
      const hb = await call(base, 'POST', '/tunnel/heartbeat', {}, inst.token);
      expect(hb?.status, `heartbeat of ${id} after restart`).toBe(200);
      inst.heartbeatSentAt = null; // its last_seen moved on; later rounds check anew
    }
  }
}

describe('durability over kill -9', () => {
  const processes: RelayProcess[] = [];
  let dataDir = '';
  afterAll(async () => {
    for (const p of processes) await p.crash();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps every acknowledged write when the server is killed under load, twice', async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'cc-durability-'));
    const env = { RELAY_DATA_DIR: dataDir, LOG_LEVEL: 'info' };
    const ledger = new Ledger();
    let server = await startRelayProcess(env);
    processes.push(server);

    for (let round = 1; round <= 2; round++) {
      let stop = false;
      const before = { heartbeats: ledger.heartbeats, instances: ledger.instances.size };
      const clients = Array.from({ length: 6 }, (_, n) =>
        client(server.url, dataDir, `r${round}c${n}`, ledger, () => stop),
      );
      // Let the load run past at least one snapshot (once a second) with writes after it.
      const started = Date.now();
      while (
        Date.now() - started < 2_500 ||
        ledger.heartbeats - before.heartbeats < 200 ||
        ledger.instances.size - before.instances < 6
      ) {
        if (Date.now() - started > 60_000) throw new Error('the load did not get going');
        await sleep(20);
      }
      await server.crash();
      stop = true;
      await Promise.all(clients);
      expect(ledger.unexpected).toEqual([]);

      server = await startRelayProcess(env);
      processes.push(server);
      const health = await call(server.url, 'GET', '/health');
      expect(health?.status).toBe(200);
      await expectAllAcknowledged(server.url, ledger);
      expect(ledger.heartbeats - before.heartbeats).toBeGreaterThanOrEqual(200);
    }

    // The data file is plain JSON that loads, and no secret ever reached the logs.
    const snapshot = JSON.parse(await readFile(path.join(dataDir, 'store.json'), 'utf8')) as {
      data: { instances: Record<string, unknown> };
    };
    expect(Object.keys(snapshot.data.instances).length).toBeGreaterThanOrEqual(12);
    await server.stop();
    const output = processes.map((p) => p.output()).join('\n');
    for (const secret of ledger.secrets) expect(output.includes(secret)).toBe(false);
  }, 240_000);
});
