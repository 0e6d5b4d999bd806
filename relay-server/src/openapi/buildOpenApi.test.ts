import {
  endpoints,
  ERROR_STATUS,
  HealthResponse,
  type Endpoint,
  type ErrorCode,
} from '@cloud-connect/agent-core/api';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startTestRelay, type TestRelay } from '../testing/index.js';
import { VERSION } from '../version.js';
import { buildOpenApi } from './buildOpenApi.js';

interface Operation {
  operationId: string;
  summary: string;
  parameters: Array<{ name: string; in: string; required: boolean; schema: object }>;
  requestBody?: { required: boolean; content: Record<string, { schema: JsonSchema }> };
  responses: Record<
    string,
    { description: string; content?: Record<string, { schema?: JsonSchema }> }
  >;
  security?: Array<Record<string, string[]>>;
}
interface JsonSchema {
  $ref?: string;
  properties?: Record<string, unknown>;
  required?: string[];
  anyOf?: JsonSchema[];
  [k: string]: unknown;
}
interface Doc {
  openapi: string;
  info: { license?: unknown };
  servers: Array<{ url: string }>;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, JsonSchema>; securitySchemes: Record<string, object> };
}

const ALWAYS: ErrorCode[] = ['VALIDATION_ERROR', 'RATE_LIMITED', 'INTERNAL'];
const table = Object.entries(endpoints) as [string, Endpoint][];

let t: TestRelay;
let doc: Doc;
beforeAll(async () => {
  t = await startTestRelay();
  const res = await t.api.get<Doc>('/openapi.json');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  doc = res.body;
});
afterAll(async () => {
  await t.stop();
});

const operationOf = (e: Endpoint): Operation | undefined =>
  doc.paths[`/v1${e.path.replace(/:([a-z_]+)/g, '{$1}')}`]?.[e.method.toLowerCase()];

/** Inline `#/components/schemas/…` references so a schema can be read on its own. */
function inline(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(inline);
  if (!schema || typeof schema !== 'object') return schema;
  const ref = (schema as JsonSchema).$ref;
  if (typeof ref === 'string') {
    const name = /^#\/components\/schemas\/(.+)$/.exec(ref)?.[1];
    const target = name ? doc.components.schemas[name] : undefined;
    if (!target) throw new Error(`unresolved $ref ${ref}`);
    return inline(target);
  }
  return Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, inline(v)]));
}

/** A zod schema rebuilt from the document's JSON Schema: what a client generator would check. */
const fromDoc = (schema: unknown) =>
  z.fromJSONSchema(inline(schema) as Parameters<typeof z.fromJSONSchema>[0]);

describe('GET /v1/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await new Validator().validate(doc as unknown as Record<string, unknown>);
    expect(result.errors ?? [], JSON.stringify(result.errors, null, 2)).toEqual([]);
    expect(result.valid).toBe(true);
    expect(doc.openapi).toBe('3.1.0');
    // Paths start at the relay's root (`/v1/...`), so the server URL must not add `/v1` again.
    expect(doc.servers.map((server) => server.url)).toEqual([t.url]);
    expect(Object.keys(doc.paths).every((p) => !p.startsWith('/v1/v1'))).toBe(true);
  });

  it('names its license', () => {
    expect(doc.info.license).toEqual({ name: 'MIT', identifier: 'MIT' });
  });

  it('says on every operation who may call it, public ones with an empty security list', () => {
    const schemes = Object.keys(doc.components.securitySchemes);
    for (const [p, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        expect(op.security, `${method} ${p} has no security`).toBeDefined();
        for (const requirement of op.security!) {
          for (const name of Object.keys(requirement)) expect(schemes).toContain(name);
        }
      }
    }
  });

  it('describes the pages email links open and the metrics, as the relay serves them', async () => {
    for (const [p, method] of [
      ['/verify-email', 'get'],
      ['/verify-email', 'post'],
      ['/reset-password', 'get'],
      ['/reset-password', 'post'],
    ] as const) {
      const op = doc.paths[p]?.[method];
      expect(op, `${method} ${p} is missing`).toBeDefined();
      expect(op!.security).toEqual([]);
    }
    // Public unless METRICS_TOKEN is set: either no requirement or the bearer token.
    expect(doc.paths['/metrics']?.get?.security).toEqual([{}, { metricsToken: [] }]);
    const metrics = await fetch(`${t.url}/metrics`);
    const documented = Object.keys(doc.paths['/metrics']!.get!.responses['200']!.content!);
    expect(documented).toHaveLength(1);
    expect(metrics.headers.get('content-type')).toContain(documented[0]);
    const page = await fetch(`${t.url}/reset-password?token=x`);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const form = doc.paths['/reset-password']!.post!.requestBody!.content;
    expect(Object.keys(form)).toEqual(['application/x-www-form-urlencoded']);
    expect(Object.keys(form['application/x-www-form-urlencoded']!.schema.properties ?? {})).toEqual(
      ['token', 'password', 'password_confirmation'],
    );
  });

  it('is the document buildOpenApi makes, so it cannot drift from the route table', () => {
    expect(doc).toEqual(buildOpenApi(VERSION, t.url));
  });

  it('every $ref in it resolves', () => {
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(() => inline(JSON.parse(`{${ref}}`))).not.toThrow();
  });

  it('the validator used above rejects a broken document', async () => {
    const broken = structuredClone(doc) as unknown as Record<string, unknown>;
    delete broken.info;
    expect((await new Validator().validate(broken)).valid).toBe(false);
  });
});

describe.each(table)('the document describes %s', (name, e) => {
  it(`as ${e.method} with its operation id, summary and auth`, () => {
    const op = operationOf(e);
    expect(op, `${e.method} ${e.path} is missing`).toBeDefined();
    expect(op!.operationId).toBe(name);
    expect(op!.summary).toBe(e.summary);
    if (e.auth === 'user') expect(op!.security).toEqual([{ userToken: [] }]);
    else if (e.auth === 'instance') expect(op!.security).toEqual([{ instanceToken: [] }]);
    else if (e.auth === 'stripe') expect(op!.security).toEqual([{ stripeSignature: [] }]);
    else expect(op!.security).toEqual([]);
  });

  it('with every path and query parameter', () => {
    const params = operationOf(e)!.parameters;
    const pathNames = [...e.path.matchAll(/:([a-z_]+)/g)].map((m) => m[1]);
    expect(params.filter((p) => p.in === 'path').map((p) => p.name)).toEqual(pathNames);
    for (const p of params.filter((q) => q.in === 'path')) expect(p.required).toBe(true);
    const queryNames = e.query
      ? Object.keys((z.toJSONSchema(e.query, { io: 'input' }) as JsonSchema).properties ?? {})
      : [];
    expect(params.filter((p) => p.in === 'query').map((p) => p.name)).toEqual(queryNames);
  });

  it('with the request body schema the server validates against', () => {
    const op = operationOf(e)!;
    if (!e.body) {
      if (e.auth === 'stripe') {
        expect(doc.components.securitySchemes.stripeSignature).toMatchObject({
          type: 'apiKey',
          in: 'header',
          name: 'Stripe-Signature',
        });
      } else expect(op.requestBody).toBeUndefined();
      return;
    }
    const documented = op.requestBody?.content['application/json']?.schema;
    expect(op.requestBody?.required).toBe(true);
    const expected = z.toJSONSchema(e.body, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
    expect(Object.keys(documented?.properties ?? {})).toEqual(
      Object.keys(expected.properties ?? {}),
    );
    expect(documented?.required ?? []).toEqual(expected.required ?? []);
    // The documented schema refuses what the server refuses: unknown fields and an empty body.
    const rebuilt = fromDoc(documented);
    expect(rebuilt.safeParse({ ...{}, unexpected_field: 1 }).success).toBe(false);
    if (expected.required?.length) expect(rebuilt.safeParse({}).success).toBe(false);
  });

  it('with its success response and every error status it can answer', () => {
    const op = operationOf(e)!;
    const success = op.responses[String(e.status)];
    expect(success, `no ${e.status} response`).toBeDefined();
    if (e.status === 204) expect(success!.content).toBeUndefined();
    else if (e.html) expect(Object.keys(success!.content ?? {})).toEqual(['text/html']);
    else expect(success!.content?.['application/json']?.schema).toBeDefined();

    const withBody: ErrorCode[] = e.method === 'GET' ? [] : ['UNSUPPORTED_MEDIA_TYPE'];
    for (const code of new Set([...e.errors, ...ALWAYS, ...withBody])) {
      const res = op.responses[String(ERROR_STATUS[code])];
      expect(res, `${code} (${ERROR_STATUS[code]}) is not documented`).toBeDefined();
      expect(res!.description).toContain(code);
      const schema = JSON.stringify(res!.content?.['application/json']?.schema);
      expect(schema).toContain('#/components/schemas/Error');
    }
  });
});

describe('the documented schemas', () => {
  it('the Error schema accepts the error bodies the server sends', async () => {
    const res = await t.api.post('/auth/login', { email: 'nope' });
    expect(res.status).toBe(422);
    expect(fromDoc(doc.components.schemas.Error).safeParse(res.body).success).toBe(true);
    expect(fromDoc(doc.components.schemas.Error).safeParse({ error: 'x' }).success).toBe(false);
  });

  it("health's 503 describes the degraded health body it answers with", async () => {
    await t.relay.services.store.close();
    const res = await t.api.get('/health');
    expect(res.status).toBe(503);
    HealthResponse.parse(res.body);
    const op = operationOf(endpoints.health)!;
    const schema = op.responses['503']?.content?.['application/json']?.schema;
    expect(fromDoc(schema).safeParse(res.body).success).toBe(true);
  });
});
