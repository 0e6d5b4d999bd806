/*
 * The Stripe stand-in's server: its HTTP front (API routes, idempotency keys, injected
 * failures, hosted checkout and portal pages) and webhook signing and delivery. It is long
 * because those share one server's state (the account, the recorded requests and deliveries)
 * and tests drive them together; the parts that stand alone already live beside it: the
 * account's objects and rules (stripeAccount.ts), the object shapes (stripeObjects.ts) and the
 * form parser (stripeForm.ts).
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { systemClock, type Clock } from '../clock.js';
import { StripeApiError, StripeAccount, type CompletedCheckout } from './stripeAccount.js';
import { parseStripeForm, type FormHash } from './stripeForm.js';
import {
  stripeId,
  type CardDetails,
  type StandInCheckoutSession,
  type StandInEvent,
  type StandInEventType,
} from './stripeObjects.js';

export type { CompletedCheckout, SubscriptionChange } from './stripeAccount.js';
export type * from './stripeObjects.js';

/** One API request the stand-in received, for assertions on what the relay sent to "Stripe". */
export interface RecordedRequest {
  method: string;
  /** Path without the query, e.g. `/v1/checkout/sessions`. */
  path: string;
  query: FormHash;
  /** The form-encoded body, parsed with Stripe's bracket notation. */
  form: FormHash;
  idempotencyKey: string | null;
  stripeVersion: string | null;
  /** Status the stand-in answered with (0 when it hung up or never answered). */
  status: number;
}

/** One webhook the hosted checkout page sent: the relay's status, or the network error. */
export interface WebhookDelivery {
  eventId: string;
  type: StandInEventType;
  outcome: number | string;
}

/**
 * How the stand-in misbehaves until `recover()`: `server-error` answers 500 with Stripe's
 * `api_error`, `disconnect` drops the connection, `hang` never answers (the client times out).
 */
export type StandInFailure = 'server-error' | 'disconnect' | 'hang';

export interface StripeStandInOptions {
  /** The secret key every API request must carry as `Authorization: Bearer …`. */
  secretKey?: string;
  /** Signing secret of the webhook endpoint (`whsec_…`). */
  webhookSecret?: string;
  /** Price ids of the two plans; the stand-in's account has these monthly prices. */
  prices?: { pro: string; business: string };
  /** Clock for `created` and period timestamps; tests move it (`manualClock()`) to order events. */
  clock?: Clock;
  /** Relay base URL the hosted checkout page delivers webhooks to when a user pays. */
  webhookUrl?: string;
  /** Address to listen on (default 127.0.0.1; namespace tests use the lab bridge's). */
  host?: string;
}

/** The relay's Stripe settings for this stand-in: `startTestRelay({ env })` or a child's env. */
export interface StandInRelayEnv {
  [name: string]: string;
  STRIPE_SECRET_KEY: string;
  STRIPE_WEBHOOK_SECRET: string;
  STRIPE_PRICE_PRO: string;
  STRIPE_PRICE_BUSINESS: string;
  STRIPE_API_BASE: string;
}

/** The account's lookups and the changes made outside the API, as tests call them. */
type AccountActions = Pick<
  StripeAccount,
  | 'checkoutSession'
  | 'subscription'
  | 'customer'
  | 'updateSubscription'
  | 'cancelSubscription'
  | 'failRenewal'
  | 'event'
>;

export interface StripeStandIn extends AccountActions {
  /** Base URL, e.g. `http://127.0.0.1:41234`: the relay's `STRIPE_API_BASE`. */
  readonly url: string;
  readonly secretKey: string;
  readonly webhookSecret: string;
  readonly prices: { pro: string; business: string };
  readonly env: StandInRelayEnv;
  /** Relay base URL the hosted checkout page delivers webhooks to; set it once the relay runs. */
  webhookUrl: string | null;
  /** Every API request so far, oldest first. */
  readonly requests: readonly RecordedRequest[];
  /** Requests with this method and path (a string matches exactly, a RegExp is tested). */
  requestsTo(method: string, path: string | RegExp): RecordedRequest[];
  /** Webhooks the hosted checkout page delivered, oldest first. */
  readonly deliveries: readonly WebhookDelivery[];
  /** Misbehave on every API request from now on, until `recover()`. */
  fail(failure: StandInFailure): void;
  recover(): void;

  /** The customer pays (a Visa ending 4242 unless `card` says otherwise). */
  completeCheckout(sessionId: string, options?: { card?: CardDetails }): CompletedCheckout;

  /** The pretty-printed body Stripe sends, and its `Stripe-Signature` from stripe-node's signer. */
  sign(
    event: StandInEvent,
    options?: { timestamp?: number; secret?: string },
  ): { payload: string; header: string };
  /**
   * POST the signed event to `<relayUrl>/v1/billing/webhook` as Stripe does. `header` replaces
   * the signature header (`null` leaves it out); `timestamp` and `secret` change the signing.
   */
  deliver(
    relayUrl: string,
    event: StandInEvent,
    options?: { timestamp?: number; secret?: string; header?: string | null },
  ): Promise<{ status: number; body: unknown }>;
  close(): Promise<void>;
}

const NO_KEY =
  "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.";

/** Stripe shows a wrong key masked: its prefix, stars, and the last four characters. */
const masked = (key: string) =>
  `${key.slice(0, 8)}${'*'.repeat(Math.max(0, key.length - 12))}${key.slice(-4)}`;

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function htmlPage(res: ServerResponse, status: number, title: string, body = ''): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
  res.end(
    `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
      `<title>${escapeHtml(title)}</title></head>` +
      `<body><h1>${escapeHtml(title)}</h1>${body}</body></html>`,
  );
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A local stand-in for the parts of Stripe's API that Cloud Connect calls, on 127.0.0.1 and a
 * free port: form-encoded requests in bracket notation, `Authorization: Bearer sk_…`, Stripe's
 * object and error shapes, idempotency keys, hosted checkout and portal pages, and webhook
 * events signed with stripe-node's own test signer. It runs in the test's process; the relay
 * may run in another (point its `STRIPE_API_BASE` here, see `env`).
 */
export async function startStripeStandIn(
  options: StripeStandInOptions = {},
): Promise<StripeStandIn> {
  const secretKey = options.secretKey ?? stripeId('sk_test', 32);
  const webhookSecret = options.webhookSecret ?? stripeId('whsec', 32);
  const prices = options.prices ?? { pro: stripeId('price'), business: stripeId('price') };
  let baseUrl = '';
  const account = new StripeAccount(options.clock ?? systemClock, () => baseUrl, prices);
  let webhookUrl = options.webhookUrl ?? null;
  let failure: StandInFailure | null = null;
  const requests: RecordedRequest[] = [];
  const deliveries: WebhookDelivery[] = [];
  const idempotent = new Map<string, { fingerprint: string; status: number; body: unknown }>();

  /** Method, path pattern (its group is the object id), and the call on the account. */
  const routes: Array<[string, RegExp, (form: FormHash, id: string) => unknown]> = [
    ['POST', /^\/v1\/customers$/, (form) => account.createCustomer(form)],
    ['POST', /^\/v1\/checkout\/sessions$/, (form) => account.createCheckoutSession(form)],
    ['GET', /^\/v1\/checkout\/sessions\/([^/]+)$/, (_, id) => account.getCheckoutSession(id)],
    ['POST', /^\/v1\/billing_portal\/sessions$/, (form) => account.createPortalSession(form)],
    ['GET', /^\/v1\/payment_methods\/([^/]+)$/, (_, id) => account.getPaymentMethod(id)],
    ['GET', /^\/v1\/subscriptions\/([^/]+)$/, (_, id) => account.getSubscription(id)],
  ];

  function sign(event: StandInEvent, opts: { timestamp?: number; secret?: string } = {}) {
    // Stripe sends pretty-printed JSON; the signature covers exactly these bytes.
    const payload = JSON.stringify(event, null, 2);
    const header = Stripe.webhooks.generateTestHeaderString({
      payload,
      secret: opts.secret ?? webhookSecret,
      ...(opts.timestamp !== undefined ? { timestamp: opts.timestamp } : {}),
    });
    return { payload, header };
  }

  async function deliver(
    relayUrl: string,
    event: StandInEvent,
    opts: { timestamp?: number; secret?: string; header?: string | null } = {},
  ) {
    const { payload, header } = sign(event, opts);
    const signature = opts.header === undefined ? header : opts.header;
    const res = await fetch(`${relayUrl.replace(/\/$/, '')}/v1/billing/webhook`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
        ...(signature === null ? {} : { 'stripe-signature': signature }),
      },
      body: payload,
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* not JSON: keep the text */
    }
    return { status: res.status, body };
  }

  function send(
    res: ServerResponse,
    record: RecordedRequest,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) {
    record.status = status;
    res.writeHead(status, {
      'content-type': 'application/json',
      'request-id': stripeId('req', 14),
      'stripe-version': record.stripeVersion ?? Stripe.API_VERSION,
      ...(record.idempotencyKey ? { 'idempotency-key': record.idempotencyKey } : {}),
      ...headers,
    });
    res.end(JSON.stringify(body, null, 2));
  }

  /** Status and body of one API call, in Stripe's error shape when it fails. */
  function answer(record: RecordedRequest): { status: number; body: unknown } {
    const route = routes.find(([m, pattern]) => m === record.method && pattern.test(record.path));
    if (!route) {
      const message = `Unrecognized request URL (${record.method}: ${record.path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`;
      return {
        status: 404,
        body: new StripeApiError(404, 'invalid_request_error', message).body(),
      };
    }
    const [method, pattern, call] = route;
    try {
      const id = decodeURIComponent(pattern.exec(record.path)?.[1] ?? '');
      return { status: 200, body: call(method === 'GET' ? record.query : record.form, id) };
    } catch (e) {
      if (e instanceof StripeApiError) return { status: e.status, body: e.body() };
      throw e;
    }
  }

  function handleApi(
    req: IncomingMessage,
    res: ServerResponse,
    record: RecordedRequest,
    raw: string,
  ) {
    if (failure === 'disconnect') {
      req.socket.destroy();
      return;
    }
    if (failure === 'hang') return; // close() cuts the connection
    if (failure === 'server-error') {
      const error = new StripeApiError(500, 'api_error', 'An unknown error occurred');
      send(res, record, 500, error.body());
      return;
    }
    const key = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (key !== secretKey) {
      const message = key ? `Invalid API Key provided: ${masked(key)}` : NO_KEY;
      send(res, record, 401, new StripeApiError(401, 'invalid_request_error', message).body());
      return;
    }
    // A POST with a used idempotency key gets the first answer again, if its parameters match.
    const idempotencyKey = record.method === 'POST' ? record.idempotencyKey : null;
    const fingerprint = `${record.method} ${record.path} ${raw}`;
    const first = idempotencyKey ? idempotent.get(idempotencyKey) : undefined;
    if (first && first.fingerprint !== fingerprint) {
      const message = `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`;
      send(res, record, 400, new StripeApiError(400, 'idempotency_error', message).body());
      return;
    }
    if (first) {
      send(res, record, first.status, first.body, { 'idempotent-replayed': 'true' });
      return;
    }
    const { status, body } = answer(record);
    if (idempotencyKey) {
      idempotent.set(idempotencyKey, { fingerprint, status, body: structuredClone(body) });
    }
    send(res, record, status, body);
  }

  /** The pay button: complete the session, send its webhooks as Stripe would, then redirect. */
  async function pay(session: StandInCheckoutSession): Promise<string | null> {
    const done = account.completeCheckout(session.id, { brand: 'visa', last4: '4242' });
    for (const event of webhookUrl ? done.events : []) {
      const outcome = await deliver(webhookUrl ?? '', event).then(
        (r) => r.status,
        (e: unknown) => (e as Error).message,
      );
      deliveries.push({ eventId: event.id, type: event.type, outcome });
    }
    return session.success_url?.replace('{CHECKOUT_SESSION_ID}', session.id) ?? null;
  }

  /** Stripe-hosted pages a browser visits: checkout (pay or cancel) and the customer portal. */
  async function handlePage(req: IncomingMessage, res: ServerResponse, path: string, raw: string) {
    const checkoutId = /^\/c\/pay\/([^/]+)$/.exec(path)?.[1];
    const session = checkoutId ? account.checkoutSession(checkoutId) : undefined;
    if (session && req.method === 'GET') {
      if (session.status !== 'open') {
        htmlPage(res, 410, 'This checkout session is no longer available');
        return;
      }
      htmlPage(
        res,
        200,
        `Subscribe to ${account.planName(session.id) ?? 'a plan'}`,
        `<p>US$${((session.amount_total ?? 0) / 100).toFixed(2)} per month</p>` +
          `<form method="post"><button name="action" value="pay">Subscribe</button> ` +
          `<button name="action" value="cancel">Cancel</button></form>`,
      );
      return;
    }
    if (session && req.method === 'POST') {
      const paying = new URLSearchParams(raw).get('action') === 'pay' && session.status === 'open';
      const target = paying ? await pay(session) : session.cancel_url;
      res.writeHead(303, { location: target ?? baseUrl });
      res.end();
      return;
    }
    const portalId = /^\/p\/session\/([^/]+)$/.exec(path)?.[1];
    const portal = portalId ? account.portalSession(portalId) : undefined;
    if (portal && req.method === 'GET') {
      const back = portal.return_url
        ? `<p><a href="${escapeHtml(portal.return_url)}">Return</a></p>`
        : '';
      htmlPage(res, 200, 'Manage your subscription', back);
      return;
    }
    htmlPage(res, 404, 'Something went wrong', '<p>The page could not be found.</p>');
  }

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://stand-in');
      const raw = await readBody(req);
      if (!url.pathname.startsWith('/v1/')) {
        await handlePage(req, res, url.pathname, raw);
        return;
      }
      const header = (name: string) => {
        const value = req.headers[name];
        return typeof value === 'string' ? value : null;
      };
      const record: RecordedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: parseStripeForm(url.search.slice(1)),
        form: parseStripeForm(raw),
        idempotencyKey: header('idempotency-key'),
        stripeVersion: header('stripe-version'),
        status: 0,
      };
      requests.push(record);
      handleApi(req, res, record, raw);
    })().catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`stripe stand-in failed: ${(e as Error).message}`);
    });
  });
  server.listen(0, options.host ?? '127.0.0.1');
  await once(server, 'listening');
  baseUrl = `http://${options.host ?? '127.0.0.1'}:${(server.address() as AddressInfo).port}`;

  return {
    url: baseUrl,
    secretKey,
    webhookSecret,
    prices,
    env: {
      STRIPE_SECRET_KEY: secretKey,
      STRIPE_WEBHOOK_SECRET: webhookSecret,
      STRIPE_PRICE_PRO: prices.pro,
      STRIPE_PRICE_BUSINESS: prices.business,
      STRIPE_API_BASE: baseUrl,
    },
    get webhookUrl() {
      return webhookUrl;
    },
    set webhookUrl(url: string | null) {
      webhookUrl = url;
    },
    requests,
    requestsTo: (method, path) =>
      requests.filter(
        (r) =>
          r.method === method && (typeof path === 'string' ? r.path === path : path.test(r.path)),
      ),
    deliveries,
    fail(f) {
      failure = f;
    },
    recover() {
      failure = null;
    },
    checkoutSession: (id) => account.checkoutSession(id),
    subscription: (id) => account.subscription(id),
    customer: (id) => account.customer(id),
    completeCheckout: (id, opts) =>
      account.completeCheckout(id, opts?.card ?? { brand: 'visa', last4: '4242' }),
    updateSubscription: (id, change) => account.updateSubscription(id, change),
    cancelSubscription: (id) => account.cancelSubscription(id),
    failRenewal: (id) => account.failRenewal(id),
    event: (type, object, opts) => account.event(type, object, opts),
    sign,
    deliver,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections(); // keep-alive and hanging ones too
      await closed;
    },
  };
}
