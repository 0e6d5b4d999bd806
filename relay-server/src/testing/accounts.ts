import type { TestRelay } from './testRelay.js';

let counter = 0;

export interface TestAccount {
  id: string;
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
}

/** The body of POST /auth/register for a person who accepts the terms and the privacy notice. */
export function registration(name: string, email: string, password: string) {
  return {
    name,
    email,
    password,
    password_confirmation: password,
    accept_terms: true,
    accept_privacy: true,
  };
}

/** Register (and by default verify and sign in) a fresh user through the real API. */
export async function createAccount(
  t: TestRelay,
  { verified = true, name = 'Test User' }: { verified?: boolean; name?: string } = {},
): Promise<TestAccount> {
  counter += 1;
  const email = `user${counter}-${Date.now()}@example.test`;
  const password = `pw-${counter}-${Math.random().toString(36).slice(2)}`;
  const reg = await t.api.post('/auth/register', registration(name, email, password));
  if (reg.status !== 201) throw new Error(`register failed: ${reg.status} ${reg.text}`);
  if (verified) {
    const token = await t.mailToken(email, 'verify-email');
    const v = await t.api.post('/auth/verify-email', { token });
    if (v.status !== 200) throw new Error(`verify failed: ${v.status} ${v.text}`);
  }
  const login = await t.api.post('/auth/login', { email, password });
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${login.text}`);
  return {
    id: reg.body.user.id,
    email,
    password,
    accessToken: login.body.access_token,
    refreshToken: login.body.refresh_token,
  };
}

/** Create an instance for `account` and return the API's answer (with its instance token). */
export async function createInstance(
  t: TestRelay,
  account: TestAccount,
  subdomain: string,
  name = 'Test Instance',
) {
  const res = await t.api.post('/instances', { name, subdomain }, { token: account.accessToken });
  if (res.status !== 201) throw new Error(`create instance failed: ${res.status} ${res.text}`);
  return res.body as {
    instance: { id: string; subdomain: string; tunnel_ip: string; full_domain: string };
    credentials: { instance_token: string; wireguard: Record<string, string> };
  };
}
