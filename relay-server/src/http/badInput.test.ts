import {
  endpoints,
  ErrorBody,
  type Endpoint,
  type EndpointName,
  type Endpoints,
  type ErrorCode,
  type RequestInputOf,
} from '@cloud-connect/agent-core/api';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Clock } from '../clock.js';
import {
  createAccount,
  createInstance,
  rawRequest,
  startTestRelay,
  type ApiResponse,
  type TestAccount,
  type TestRelay,
} from '../testing/index.js';
import { TokenService } from '../tokens/tokens.js';
import { generateKeyPair } from '@cloud-connect/agent-core/wireguard';
import { MAX_BODY_BYTES } from './body.js';

/**
 * Bad input on every endpoint of the contract, generated from `endpoints`: a new endpoint gets
 * these cases without anyone writing them. Each case must answer a 4xx in the error format
 * and leave the store exactly as it was.
 */

const WEBHOOK_SECRET = 'whsec_bad_input_test_secret';
const STRIPE_ENV = {
  STRIPE_SECRET_KEY: 'sk_test_bad_input',
  STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
  STRIPE_PRICE_PRO: 'price_pro_test',
  STRIPE_PRICE_BUSINESS: 'price_business_test',
  // Nothing listens there: no case may reach Stripe, and none may leave the machine.
  STRIPE_API_BASE: 'http://127.0.0.1:9',
  DNS_SERVERS: '127.0.0.1:9',
};
const ACCESS_EXPIRED_MS = 16 * 60 * 1000;
const REFRESH_EXPIRED_MS = 8 * 24 * 60 * 60 * 1000;

type WithBody = {
  [N in EndpointName]: Endpoints[N] extends { body: z.ZodType } ? N : never;
}[EndpointName];

/** One valid body per endpoint that takes one (the compiler asks for a new endpoint's). */
const VALID_BODY: { [N in WithBody]: RequestInputOf<N>['body'] } = {
  register: {
    name: 'Valid Name',
    email: 'valid-new-user@example.test',
    password: 'a valid password',
    password_confirmation: 'a valid password',
    accept_terms: true,
    accept_privacy: true,
  },
  login: { email: 'valid@example.test', password: 'a valid password' },
  refresh: { refresh_token: 'a-refresh-token' },
  forgotPassword: { email: 'valid@example.test' },
  resetPassword: {
    token: 'a-reset-token',
    password: 'a valid password',
    password_confirmation: 'a valid password',
  },
  verifyEmail: { token: 'a-verify-token' },
  resendVerification: { email: 'valid@example.test' },
  updateUser: { name: 'Renamed User' },
  checkout: { plan: 'pro' },
  portal: { return_url: 'https://example.com/account' },
  createInstance: { name: 'Another', subdomain: 'fresh-subdomain' },
  updateInstance: { name: 'Renamed Instance' },
  addDomain: { domain: 'new.example.com' },
  registerTunnel: { public_key: generateKeyPair().publicKey },
  heartbeat: {},
};

/** Path parameter values that are not ids; the first of each list must be a 422 naming it. */
const BAD_PARAM: Record<string, string[]> = {
  instance_id: [
    'not-an-id',
    'INST_ABCDEFGHIJKL',
    `inst_${'a'.repeat(200)}`,
    "inst_abcdefghijk'--",
    'usr_abcdefghijklmnop',
    '%00',
    '..%2F..%2Fetc',
  ],
  // No '..' or '%2e%2e': fetch resolves those dot segments before sending (to the parent path).
  domain: ['not_a_domain', '-bad-.example.com', `${'a'.repeat(300)}.com`, '...', 'a..b', '%00'],
};

/** Everything the cases need, made in beforeAll. */
interface World {
  a: TestAccount;
  b: TestAccount;
  instA: { id: string; token: string };
  instB: { id: string; token: string };
  /** B's instance token from before a regenerate-token: revoked. */
  revokedInstanceToken: string;
  domainA: string;
  foreign: { access: string; refresh: string; instance: string };
}

interface Attempt {
  method: string;
  path: string;
  token?: string;
  body?: string;
  headers?: Record<string, string>;
  /** Move the relay's clock forward for this request only. */
  clockOffsetMs?: number;
  /** Send exactly these headers over a socket (fetch adds a Content-Type to a string body). */
  raw?: boolean;
}

interface Case {
  name: string;
  build(w: World): Attempt;
  status: number;
  code: ErrorCode;
  /** Fields `details.fields` must name (422 only). */
  fields?: (w: World) => string[];
}

let offsetMs = 0;
const clock: Clock = { now: () => new Date(Date.now() + offsetMs) };
let t: TestRelay;
let w: World;

/** A JWT with its header replaced by `alg: none` and no signature. */
function algNone(token: string): string {
  const payload = token.split('.')[1] ?? '';
  const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
  return `${header}.${payload}.`;
}

/** The same JWT and signature with `sub` changed: the signature no longer holds. */
function tampered(token: string, sub: string): string {
  const [h, p, s] = token.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
  return `${h}.${Buffer.from(JSON.stringify({ ...claims, sub })).toString('base64url')}.${s}`;
}

function claimsOf(token: string): Record<string, string> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<
    string,
    string
  >;
}

function fillPath(path: string, values: Record<string, string>): string {
  return path.replace(/:([a-z_]+)/g, (_m, name: string) => {
    const v = values[name];
    if (v === undefined) throw new Error(`no value for path parameter ${name}`);
    return v;
  });
}

function validBody(name: EndpointName): unknown {
  return (VALID_BODY as Partial<Record<EndpointName, unknown>>)[name];
}

function tokenOf(e: Endpoint, world: World): string | undefined {
  if (e.auth === 'user') return world.a.accessToken;
  if (e.auth === 'instance') return world.instA.token;
  return undefined;
}

const idsOfA = (world: World) => ({ instance_id: world.instA.id, domain: world.domainA });

/** Top-level properties and required names of a body schema, as JSON Schema sees the input. */
function bodyShape(e: Endpoint): {
  properties: Record<string, { type?: unknown }>;
  required: string[];
} {
  if (!e.body) return { properties: {}, required: [] };
  const js = z.toJSONSchema(e.body, { io: 'input', unrepresentable: 'any' }) as {
    properties?: Record<string, { type?: unknown }>;
    required?: string[];
  };
  return { properties: js.properties ?? {}, required: js.required ?? [] };
}

/** A value of a type the property does not accept. */
function wrongType(prop: { type?: unknown }): unknown {
  return prop.type === 'string' ? 12345 : 'not-the-right-type';
}

function casesFor(name: EndpointName, e: Endpoint): Case[] {
  const cases: Case[] = [];
  const body = validBody(name);
  const json = body === undefined ? undefined : JSON.stringify(body);
  const at = (world: World, extra: Partial<Attempt> = {}): Attempt => ({
    method: e.method,
    path: fillPath(e.path, idsOfA(world)),
    token: tokenOf(e, world),
    body: json,
    ...extra,
  });
  const takesBody = e.method !== 'GET' && e.auth !== 'stripe';

  // Bad tokens: each must be refused before anything happens, even with a valid body.
  if (e.auth === 'user' || e.auth === 'instance') {
    const unauthorized = (label: string, build: (w: World) => Partial<Attempt>): Case => ({
      name: `${label} → 401`,
      build: (world) => at(world, build(world)),
      status: 401,
      code: 'UNAUTHORIZED',
    });
    cases.push(
      unauthorized('no token', () => ({ token: undefined })),
      unauthorized('a garbage token', () => ({ token: 'garbage-not-a-jwt-at-all' })),
      unauthorized('a non-Bearer Authorization header', (world) => ({
        token: undefined,
        headers: { authorization: `Basic ${world.a.accessToken}` },
      })),
      unauthorized('a refresh token', (world) => ({ token: world.a.refreshToken })),
      unauthorized('a token signed with another secret', (world) => ({
        token: e.auth === 'user' ? world.foreign.access : world.foreign.instance,
      })),
      unauthorized('an alg:none token', (world) => ({ token: algNone(tokenOf(e, world) ?? '') })),
      unauthorized('a token whose subject was changed', (world) => ({
        token: tampered(tokenOf(e, world) ?? '', e.auth === 'user' ? world.b.id : world.instB.id),
      })),
    );
    if (e.auth === 'user') {
      cases.push(
        unauthorized('an expired access token (clock +16 min)', () => ({
          clockOffsetMs: ACCESS_EXPIRED_MS,
        })),
        unauthorized('an instance token', (world) => ({ token: world.instA.token })),
      );
    } else {
      cases.push(
        unauthorized('an access token', (world) => ({ token: world.a.accessToken })),
        unauthorized('a revoked instance token', (world) => ({
          token: world.revokedInstanceToken,
        })),
      );
    }
  }

  // Path ids: malformed ones, and another user's.
  const paramNames = [...e.path.matchAll(/:([a-z_]+)/g)].map((m) => m[1] as string);
  for (const param of paramNames) {
    const bad = BAD_PARAM[param];
    if (!bad) throw new Error(`add malformed values for the path parameter ${param} to BAD_PARAM`);
    bad.forEach((value, i) => {
      cases.push({
        name: `${param} "${value.length > 30 ? `${value.slice(0, 27)}…` : value}" → ${i === 0 ? '422' : '4xx'}`,
        build: (world) =>
          at(world, { path: fillPath(e.path, { ...idsOfA(world), [param]: value }) }),
        status: i === 0 ? 422 : -1,
        code: i === 0 ? 'VALIDATION_ERROR' : 'NOT_FOUND',
        ...(i === 0 ? { fields: () => [param] } : {}),
      });
    });
  }
  if (paramNames.length && e.auth === 'user') {
    cases.push({
      name: "another user's ids → 404",
      build: (world) => at(world, { token: world.b.accessToken }),
      status: 404,
      code: 'NOT_FOUND',
    });
    if (paramNames.includes('domain')) {
      cases.push({
        name: "another user's domain under one's own instance → 404",
        build: (world) =>
          at(world, {
            token: world.b.accessToken,
            path: fillPath(e.path, { instance_id: world.instB.id, domain: world.domainA }),
          }),
        status: 404,
        code: 'NOT_FOUND',
      });
    }
  }

  // Query strings.
  if (e.query) {
    const js = z.toJSONSchema(e.query, { io: 'input' }) as { required?: string[] };
    const required = js.required ?? [];
    const query = new URLSearchParams(required.map((r): [string, string] => [r, 'valid-name']));
    cases.push({
      name: 'no query → 422 naming each required parameter',
      build: (world) => at(world),
      status: 422,
      code: 'VALIDATION_ERROR',
      fields: () => required,
    });
    cases.push({
      name: 'an unknown query parameter → 422 naming it',
      build: (world) => at(world, { path: `${e.path}?${query}&unexpected_param=1` }),
      status: 422,
      code: 'VALIDATION_ERROR',
      fields: () => ['unexpected_param'],
    });
    for (const param of required) {
      cases.push({
        name: `${param} given twice → 422 naming it`,
        build: (world) => at(world, { path: `${e.path}?${param}=abc&${param}=def` }),
        status: 422,
        code: 'VALIDATION_ERROR',
        fields: () => [param],
      });
    }
  }

  // Bodies: malformed, not an object, unknown fields, missing fields, wrong types, too large.
  if (takesBody) {
    const shape = bodyShape(e);
    const invalid = (label: string, raw: string, fields: string[]): Case => ({
      name: `${label} → 422 naming ${fields.join(', ')}`,
      build: (world) => at(world, { body: raw }),
      status: 422,
      code: 'VALIDATION_ERROR',
      fields: () => fields,
    });
    cases.push(invalid('malformed JSON', '{"name": "unterminated', ['body']));
    cases.push(invalid('JSON that is not a body', '{} trailing', ['body']));
    for (const raw of ['[]', '"text"', '42', 'null']) {
      cases.push(invalid(`a body of ${raw}`, raw, ['body']));
    }
    cases.push(
      invalid('an unknown field', JSON.stringify({ ...(body as object), unexpected_field: 'x' }), [
        'unexpected_field',
      ]),
    );
    if (shape.required.length) {
      cases.push(invalid('an empty object', '{}', shape.required));
    }
    for (const [prop, def] of Object.entries(shape.properties)) {
      cases.push(
        invalid(
          `${prop} of the wrong type`,
          JSON.stringify({ ...(body as object), [prop]: wrongType(def) }),
          [prop],
        ),
        invalid(`${prop} null`, JSON.stringify({ ...(body as object), [prop]: null }), [prop]),
      );
    }
  }
  // Media types: a body that is not JSON is refused before anything else, whatever the endpoint
  // does with bodies, so no cross-site form or text/plain post reaches a handler.
  if (e.method !== 'GET') {
    const payload = json ?? '{}';
    const unsupported = (label: string, headers: Record<string, string>, raw = false): Case => ({
      name: `a body sent as ${label} → 415`,
      build: (world) => at(world, { body: payload, headers, ...(raw ? { raw } : {}) }),
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    });
    cases.push(
      unsupported('text/plain', { 'content-type': 'text/plain' }),
      unsupported('a urlencoded form', { 'content-type': 'application/x-www-form-urlencoded' }),
      unsupported('multipart/form-data', { 'content-type': 'multipart/form-data; boundary=x' }),
      unsupported('no Content-Type', {}, true),
      unsupported('JSON in ISO-8859-1', { 'content-type': 'application/json; charset=iso-8859-1' }),
      unsupported('application/merge-patch+json', {
        'content-type': 'application/merge-patch+json',
      }),
    );
  }
  if (e.method !== 'GET') {
    const limit = e.auth === 'stripe' ? 1024 * 1024 : MAX_BODY_BYTES;
    cases.push({
      name: `a body over ${limit / 1024} KiB → 413`,
      build: (world) => at(world, { body: JSON.stringify({ pad: 'x'.repeat(limit) }) }),
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
    });
  }

  // The webhook: anything not signed by Stripe with the endpoint secret, recently, is refused.
  if (e.auth === 'stripe') {
    const stripe = new Stripe('sk_test_bad_input');
    const event = JSON.stringify({ id: 'evt_bad_input', type: 'invoice.payment_failed' });
    const sign = (payload: string, secret: string, timestamp?: number) =>
      stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp });
    const refused = (label: string, build: () => Partial<Attempt>): Case => ({
      name: `${label} → 400`,
      build: (world) => at(world, build()),
      status: 400,
      code: 'WEBHOOK_SIGNATURE_INVALID',
    });
    cases.push(
      refused('no signature', () => ({ body: event })),
      refused('malformed JSON without a signature', () => ({ body: '{"id": ' })),
      refused('a garbage signature', () => ({
        body: event,
        headers: { 'stripe-signature': 'garbage' },
      })),
      refused('a signature with another secret', () => ({
        body: event,
        headers: { 'stripe-signature': sign(event, 'whsec_another_secret') },
      })),
      refused('a signature over another body', () => ({
        body: event,
        headers: { 'stripe-signature': sign(`${event} `, WEBHOOK_SECRET) },
      })),
      refused('a signature ten minutes old', () => ({
        body: event,
        headers: {
          'stripe-signature': sign(event, WEBHOOK_SECRET, Math.floor(Date.now() / 1000) - 600),
        },
      })),
      {
        name: 'a body over 64 KiB but under 1 MiB is read, then refused unsigned → 400',
        build: (world) => at(world, { body: JSON.stringify({ pad: 'x'.repeat(100 * 1024) }) }),
        status: 400,
        code: 'WEBHOOK_SIGNATURE_INVALID',
      },
      // A signed body that is not JSON is a poison event: 200 and ignored (webhook.test.ts).
    );
  }
  return cases;
}

/** Token checks inside bodies: the refresh, verify and reset tokens a caller sends. */
const BODY_TOKEN_CASES: Partial<Record<EndpointName, Case[]>> = {
  refresh: (
    [
      ['an access token', (w: World) => w.a.accessToken],
      ['an instance token', (w: World) => w.instA.token],
      ['a refresh token signed with another secret', (w: World) => w.foreign.refresh],
      ['an alg:none refresh token', (w: World) => algNone(w.a.refreshToken)],
      [
        'a refresh token whose subject was changed',
        (w: World) => tampered(w.a.refreshToken, w.b.id),
      ],
      ['a garbage token', () => 'garbage-not-a-jwt-at-all'],
    ] as const
  )
    .map(([label, token]): Case => ({
      name: `${label} as refresh_token → 401, and the family is not revoked`,
      build: (world) => ({
        method: 'POST',
        path: '/auth/refresh',
        body: JSON.stringify({ refresh_token: token(world) }),
      }),
      status: 401,
      code: 'UNAUTHORIZED',
    }))
    .concat({
      name: 'an expired refresh token (clock +8 days) → 401',
      build: (world) => ({
        method: 'POST',
        path: '/auth/refresh',
        body: JSON.stringify({ refresh_token: world.a.refreshToken }),
        clockOffsetMs: REFRESH_EXPIRED_MS,
      }),
      status: 401,
      code: 'UNAUTHORIZED',
    }),
  verifyEmail: [
    {
      name: 'a token that was never mailed → 422 naming token',
      build: () => ({
        method: 'POST',
        path: '/auth/verify-email',
        body: JSON.stringify({ token: 'never-mailed-token-value' }),
      }),
      status: 422,
      code: 'VALIDATION_ERROR',
      fields: () => ['token'],
    },
  ],
  resetPassword: [
    {
      name: 'a token that was never mailed → 422 naming token',
      build: () => ({
        method: 'POST',
        path: '/auth/reset-password',
        body: JSON.stringify({
          token: 'never-mailed-token-value',
          password: 'a new password',
          password_confirmation: 'a new password',
        }),
      }),
      status: 422,
      code: 'VALIDATION_ERROR',
      fields: () => ['token'],
    },
  ],
};

/** The attempt over a raw socket, headers exactly as given. */
async function sendRaw(a: Attempt): Promise<ApiResponse> {
  const headers: Record<string, string> = {
    host: new URL(t.url).host,
    connection: 'close',
    ...(a.token ? { authorization: `Bearer ${a.token}` } : {}),
    ...(a.body !== undefined ? { 'content-length': String(Buffer.byteLength(a.body)) } : {}),
    ...a.headers,
  };
  const head = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`);
  const res = await rawRequest(
    t.url,
    `${a.method} /v1${a.path} HTTP/1.1\r\n${head.join('')}\r\n${a.body ?? ''}`,
  );
  return {
    status: res.status,
    headers: new Headers(res.headers),
    body: res.json ?? res.text,
    text: res.text,
  };
}

async function send(a: Attempt): Promise<ApiResponse> {
  offsetMs = a.clockOffsetMs ?? 0;
  try {
    if (a.raw) return await sendRaw(a);
    return await t.api.request(a.method, a.path, {
      ...(a.token ? { token: a.token } : {}),
      ...(a.body !== undefined ? { body: a.body } : {}),
      headers: {
        ...(a.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...a.headers,
      },
    });
  } finally {
    offsetMs = 0;
  }
}

/** A 4xx in `{error:{code,message,details?}}` and nothing else. */
function expectErrorFormat(res: ApiResponse): void {
  expect(res.status, res.text).toBeGreaterThanOrEqual(400);
  expect(res.status, res.text).toBeLessThan(500);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  expect(ErrorBody.safeParse(res.body).success, res.text).toBe(true);
  expect(Object.keys(res.body as object)).toEqual(['error']);
  for (const key of Object.keys((res.body as { error: object }).error)) {
    expect(['code', 'message', 'details']).toContain(key);
  }
}

async function expectRefused(c: Case): Promise<void> {
  const before = await t.relay.services.store.dump();
  const res = await send(c.build(w));
  expectErrorFormat(res);
  const error = (res.body as { error: { code: string; details?: { fields?: object } } }).error;
  if (c.status !== -1) {
    expect(res.status, res.text).toBe(c.status);
    expect(error.code).toBe(c.code);
  }
  for (const field of c.fields?.(w) ?? []) {
    expect(Object.keys(error.details?.fields ?? {}), res.text).toContain(field);
  }
  expect(await t.relay.services.store.dump()).toEqual(before);
}

beforeAll(async () => {
  t = await startTestRelay({ clock, env: STRIPE_ENV });
  const a = await createAccount(t);
  const b = await createAccount(t);
  const ia = await createInstance(t, a, 'alpha-site');
  const ib = await createInstance(t, b, 'bravo-site');
  const revokedInstanceToken = ib.credentials.instance_token;
  const regen = await t.api.post(`/instances/${ib.instance.id}/regenerate-token`, undefined, {
    token: b.accessToken,
  });
  const reg = await t.api.post(
    '/tunnel/register',
    { public_key: generateKeyPair().publicKey },
    { token: ia.credentials.instance_token },
  );
  expect(reg.status).toBe(200);
  // A Free account has no custom domains; put one in the store directly so domain paths exist.
  const domainA = 'shop.example.com';
  await t.relay.services.store.domains.create(
    {
      domain: domainA,
      instanceId: ia.instance.id,
      userId: a.id,
      status: 'pending_verification',
      sslStatus: 'pending',
      verifiedAt: null,
      lastCheckedAt: null,
      lastError: null,
      createdAt: new Date().toISOString(),
    },
    { maxPerInstance: 5 },
  );
  const other = new TokenService('another relay secret, 32 characters or more', clock.now);
  const refreshClaims = claimsOf(a.refreshToken);
  const instClaims = claimsOf(ia.credentials.instance_token);
  const foreign = {
    access: await other.signAccess(a.id),
    refresh: await other.signRefresh(a.id, refreshClaims.jti ?? '', refreshClaims.fam ?? ''),
    instance: await other.signInstance(ia.instance.id, a.id, instClaims.jti ?? ''),
  };
  for (const token of Object.values(foreign)) t.ledger.add(token);
  w = {
    a,
    b,
    instA: { id: ia.instance.id, token: ia.credentials.instance_token },
    instB: { id: ib.instance.id, token: regen.body.instance_token },
    revokedInstanceToken,
    domainA,
    foreign,
  };
});

afterAll(async () => {
  await t?.stop();
});

describe.each(Object.entries(endpoints) as [EndpointName, Endpoint][])(
  'bad input on %s',
  (name, e) => {
    const cases = [...casesFor(name, e), ...(BODY_TOKEN_CASES[name] ?? [])];
    const pathOnly = e.path;
    const methods = new Set(
      Object.values(endpoints)
        .filter((o) => o.path === pathOnly)
        .map((o) => o.method as string),
    );
    const wrong = ['GET', 'POST', 'PATCH', 'DELETE', 'PUT'].find((m) => !methods.has(m)) ?? 'PUT';

    it.each(cases.map((c) => [`${e.method} ${e.path}: ${c.name}`, c] as const))(
      '%s',
      async (_label, c) => {
        await expectRefused(c);
      },
    );

    it(`${wrong} ${e.path} → 405 METHOD_NOT_ALLOWED with an Allow header`, async () => {
      await expectRefused({
        name: 'wrong method',
        build: (world) => ({ method: wrong, path: fillPath(e.path, idsOfA(world)) }),
        status: 405,
        code: 'METHOD_NOT_ALLOWED',
      });
      const res = await send({ method: wrong, path: fillPath(e.path, idsOfA(w)) });
      const allow = (res.headers.get('allow') ?? '').split(/,\s*/);
      for (const m of methods) expect(allow).toContain(m);
    });

    // fetch will not send TRACE; WebDAV verbs pass Node's parser and used to get a 501 in text.
    it.each(['TRACE', 'PROPFIND', 'MKCOL', 'PROPPATCH', 'LOCK', 'COPY', 'SEARCH'])(
      `%s ${e.path} → 405 METHOD_NOT_ALLOWED in the error format, Allow listing the path's methods`,
      async (method) => {
        const before = await t.relay.services.store.dump();
        const res = await send({ method, path: fillPath(e.path, idsOfA(w)), raw: true });
        expectErrorFormat(res);
        expect(res.status, res.text).toBe(405);
        expect((res.body as ErrorBody).error.code).toBe('METHOD_NOT_ALLOWED');
        const allow = (res.headers.get('allow') ?? '').split(/,\s*/);
        for (const m of methods) expect(allow).toContain(m);
        expect(allow).not.toContain(method);
        expect(await t.relay.services.store.dump()).toEqual(before);
      },
    );

    it(`${e.path}/no-such-part/x/y → 404 NOT_FOUND`, async () => {
      await expectRefused({
        name: 'unknown sub-path',
        build: (world) => ({
          method: e.method,
          path: `${fillPath(e.path, idsOfA(world))}/no-such-part/x/y`,
          token: tokenOf(e, world),
        }),
        status: 404,
        code: 'NOT_FOUND',
      });
    });
  },
);

describe('bad input anywhere else', () => {
  it.each(['/v1/nope', '/v1', '/v2/instances', '/v1/auth', '/nope', '/v1/instances/a/b/c/d/e'])(
    'GET %s → 404 NOT_FOUND in the error format',
    async (path) => {
      const before = await t.relay.services.store.dump();
      const res = await fetch(`${t.url}${path}`);
      const body = (await res.json()) as unknown;
      expect(res.status).toBe(404);
      expect(ErrorBody.parse(body).error.code).toBe('NOT_FOUND');
      expect(await t.relay.services.store.dump()).toEqual(before);
    },
  );

  it('the valid bodies used above are valid, so each case fails for its own reason', () => {
    for (const [name, body] of Object.entries(VALID_BODY)) {
      const schema = endpoints[name as WithBody].body;
      expect(schema.safeParse(body).success, name).toBe(true);
    }
  });

  it.each([
    'application/json; charset=utf-8',
    'Application/JSON; Charset="UTF-8"',
    'application/json;charset=utf8',
  ])('a JSON body sent as %s is accepted', async (type) => {
    const res = await send({
      method: 'PATCH',
      path: '/user',
      token: w.b.accessToken,
      body: JSON.stringify({ name: 'Bee' }),
      headers: { 'content-type': type },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ name: 'Bee' });
  });

  it('a body-less call needs no Content-Type, and any Content-Type without a body is no body', async () => {
    const path = `/instances/${w.instB.id}/regenerate-token`;
    const bare = await send({ method: 'POST', path, token: w.b.accessToken, raw: true });
    expect(bare.status, bare.text).toBe(200);
    const typed = await send({
      method: 'POST',
      path,
      token: w.b.accessToken,
      body: '',
      headers: { 'content-type': 'text/plain' },
      raw: true,
    });
    expect(typed.status, typed.text).toBe(200);
    w.instB.token = (typed.body as { instance_token: string }).instance_token;
  });

  it.each([
    ['TRACE', '/v1/nope'],
    ['PROPFIND', '/nope'],
    ['MKCOL', '/v1/instances/x/y/z/q'],
  ])('%s %s (no such path) → 404 NOT_FOUND in the error format', async (method, path) => {
    const res = await rawRequest(
      t.url,
      `${method} ${path} HTTP/1.1\r\nHost: relay.test\r\nConnection: close\r\n\r\n`,
    );
    expect(res.status, res.raw).toBe(404);
    expect(ErrorBody.parse(res.json).error.code).toBe('NOT_FOUND');
  });

  it.each([
    ['TRACE', '/verify-email', ['GET', 'POST']],
    ['PROPFIND', '/reset-password', ['GET', 'POST']],
    ['PATCH', '/metrics', ['GET']],
    ['DELETE', '/v1/billing/success', ['GET']],
  ])(
    '%s %s (a page) → 405 METHOD_NOT_ALLOWED in the error format with Allow',
    async (method, path, allowed) => {
      const res = await rawRequest(
        t.url,
        `${method} ${path} HTTP/1.1\r\nHost: relay.test\r\nConnection: close\r\n\r\n`,
      );
      expect(res.status, res.raw).toBe(405);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(ErrorBody.parse(res.json).error.code).toBe('METHOD_NOT_ALLOWED');
      const allow = (res.headers.allow ?? '').split(/,\s*/);
      for (const m of allowed) expect(allow).toContain(m);
    },
  );

  it('CONNECT → 405 METHOD_NOT_ALLOWED in the error format (not a dropped connection)', async () => {
    const res = await rawRequest(
      t.url,
      'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n',
    );
    expect(res.status, res.raw).toBe(405);
    expect(res.headers.allow).toBe('');
    expect(ErrorBody.parse(res.json).error.code).toBe('METHOD_NOT_ALLOWED');
  });

  it.each([
    ['a method token the parser does not know', 'FOO /v1/health HTTP/1.1\r\nHost: relay.test'],
    ['a lower-case method', 'get /v1/health HTTP/1.1\r\nHost: relay.test'],
    ['a space before a header colon', 'GET /v1/health HTTP/1.1\r\nHost : relay.test'],
    [
      'Content-Length and Transfer-Encoding together',
      'POST /v1/auth/login HTTP/1.1\r\nHost: relay.test\r\nContent-Length: 3\r\nTransfer-Encoding: chunked',
    ],
  ])('%s → 400 BAD_REQUEST in the error format', async (_label, head) => {
    const before = await t.relay.services.store.dump();
    const res = await rawRequest(t.url, `${head}\r\nConnection: close\r\n\r\n`);
    expect(res.status, res.raw).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(ErrorBody.parse(res.json).error.code).toBe('BAD_REQUEST');
    expect(await t.relay.services.store.dump()).toEqual(before);
  });

  it('headers over the size limit → 431 REQUEST_HEADERS_TOO_LARGE in the error format', async () => {
    const res = await rawRequest(
      t.url,
      `GET /v1/health HTTP/1.1\r\nHost: relay.test\r\nX-Pad: ${'x'.repeat(64 * 1024)}\r\nConnection: close\r\n\r\n`,
    );
    expect(res.status, res.raw.slice(0, 200)).toBe(431);
    expect(ErrorBody.parse(res.json).error.code).toBe('REQUEST_HEADERS_TOO_LARGE');
  });

  it('a body sent to an endpoint that takes none is refused, not ignored', async () => {
    const path = `/instances/${w.instB.id}/regenerate-token`;
    const before = await t.relay.services.store.dump();
    const res = await send({ method: 'POST', path, token: w.b.accessToken, body: '{"x": ' });
    expect(res.status).toBe(422);
    expect(await t.relay.services.store.dump()).toEqual(before);
    // The same call without a body still works: the refusal above was the body's doing.
    const ok = await t.api.post(path, undefined, { token: w.b.accessToken });
    expect(ok.status).toBe(200);
  });
});
