import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createAccount,
  createInstance,
  setPlan,
  startTestRelay,
  type TestAccount,
  type TestRelay,
} from '../../testing/index.js';

let t: TestRelay;
beforeAll(async () => {
  t = await startTestRelay();
});
afterAll(async () => {
  await t.stop();
});

const auth = (a: TestAccount) => ({ token: a.accessToken });
const nameOf = async (a: TestAccount) => (await t.relay.services.store.users.get(a.id))?.name;

describe('GET /user', () => {
  it('answers seed 003’s profile fields plus verification state', async () => {
    const ann = await createAccount(t, { name: 'John Doe' });
    const res = await t.api.get('/user', auth(ann));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      id: ann.id,
      email: ann.email,
      name: 'John Doe',
      subscription_status: 'none',
      subscription_plan: 'free',
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/),
      email_verified: true,
      account_status: 'active',
    });
    expect(res.text).not.toMatch(/password|hash/i);
  });

  it('shows the active plan of a subscribed user', async () => {
    const ann = await createAccount(t);
    await setPlan(t, ann, 'pro');
    const res = await t.api.get('/user', auth(ann));
    expect(res.body).toMatchObject({ subscription_status: 'active', subscription_plan: 'pro' });
  });

  it('answers an unverified user, saying the email is not verified yet', async () => {
    const ann = await createAccount(t, { verified: false });
    const res = await t.api.get('/user', auth(ann));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      email_verified: false,
      account_status: 'pending_email_verification',
    });
  });

  it('answers 401 UNAUTHORIZED to a missing, malformed, refresh or instance token', async () => {
    const ann = await createAccount(t);
    const { credentials } = await createInstance(t, ann, `usr${Date.now().toString(36)}`);
    for (const token of [
      undefined,
      'garbage',
      `${ann.accessToken}x`,
      ann.refreshToken,
      credentials.instance_token,
    ]) {
      const res = await t.api.get('/user', token ? { token } : {});
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('UNAUTHORIZED');
      expect(res.text).not.toContain(ann.email);
    }
  });
});

describe('PATCH /user', () => {
  it('renames the user and answers seed 003’s body', async () => {
    const ann = await createAccount(t, { name: 'John Doe' });
    const res = await t.api.patch('/user', { name: '  John Smith ' }, auth(ann));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id: ann.id, email: ann.email, name: 'John Smith' });
    expect((await t.api.get('/user', auth(ann))).body.name).toBe('John Smith');
  });

  it('changes only the caller', async () => {
    const ann = await createAccount(t, { name: 'Ann' });
    const bob = await createAccount(t, { name: 'Bob' });
    await t.api.patch('/user', { name: 'Ann Two' }, auth(ann));
    expect(await nameOf(bob)).toBe('Bob');
  });

  it.each([
    ['a missing name', {}, 'name'],
    ['a blank name', { name: '   ' }, 'name'],
    ['a name over 100 characters', { name: 'x'.repeat(101) }, 'name'],
    ['a name that is not a string', { name: ['John'] }, 'name'],
    ['an email change (not allowed here)', { name: 'Ok', email: 'new@example.test' }, 'email'],
    ['a plan change', { name: 'Ok', subscription_plan: 'business' }, 'subscription_plan'],
  ])('answers 422 VALIDATION_ERROR for %s, changing nothing', async (_what, body, field) => {
    const ann = await createAccount(t, { name: 'Unchanged' });
    const res = await t.api.patch('/user', body, auth(ann));
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
    expect(Object.keys(res.body.error.details.fields)).toContain(field);
    const user = await t.relay.services.store.users.get(ann.id);
    expect(user).toMatchObject({ name: 'Unchanged', email: ann.email, subscription: null });
  });

  it('answers 422 for malformed JSON and 401 without a token, changing nothing', async () => {
    const ann = await createAccount(t, { name: 'Unchanged' });
    const bad = await t.api.patch('/user', '{"name": "x"', auth(ann));
    expect(bad.status).toBe(422);
    expect(bad.body.error.details.fields).toHaveProperty('body');
    const anon = await t.api.patch('/user', { name: 'Nobody' });
    expect(anon.status).toBe(401);
    expect(anon.body.error.code).toBe('UNAUTHORIZED');
    expect(await nameOf(ann)).toBe('Unchanged');
  });
});
