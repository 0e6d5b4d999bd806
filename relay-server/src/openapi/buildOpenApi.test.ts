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
    expect(doc.servers).toEqual([{ url: `${t.url}/v1` }]);
  });

  it('is the document buildOpenApi makes, so it cannot drift from the route table', () => {
    expect(doc).toEqual(buildOpenApi(VERSION, `${t.url}/v1`));
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
    else expect(op!.security).toBeUndefined();
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
        expect(op.parameters).toContainEqual(
          expect.objectContaining({ name: 'Stripe-Signature', in: 'header', required: true }),
        );
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

    for (const code of new Set([...e.errors, ...ALWAYS])) {
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
