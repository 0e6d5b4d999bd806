import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { VERSION } from '../version.js';
import { buildOpenApi } from './buildOpenApi.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cc-openapi-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface LintReport {
  totals: { errors: number; warnings: number; ignored: number };
  problems: Array<{ ruleId: string; message: string; location: Array<{ pointer: string }> }>;
}

/** `redocly lint` exits 0 on warnings; this holds the document to no problem at all. */
it('passes redocly lint with the recommended rules without an error or a warning', async () => {
  const file = path.join(dir, 'openapi.json');
  await writeFile(file, JSON.stringify(buildOpenApi(VERSION, 'https://api.cloud-connect.test')));
  const { stdout } = await promisify(execFile)(
    path.join(root, 'node_modules/.bin/redocly'),
    ['lint', '--format', 'json', '--config', path.join(root, 'redocly.yaml'), file],
    {
      cwd: root,
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    },
  ).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
  const report = JSON.parse(stdout.slice(stdout.indexOf('{'))) as LintReport;
  const problems = report.problems.map(
    (p) => `${p.ruleId} at ${p.location[0]?.pointer}: ${p.message}`,
  );
  expect(problems).toEqual([]);
  expect(report.totals).toEqual({ errors: 0, warnings: 0, ignored: 0 });
});
