import { writeFileSync } from 'node:fs';
import { VERSION } from '../version.js';
import { buildOpenApi } from './buildOpenApi.js';

/**
 * `node printOpenApi.ts <file>`: writes the relay's OpenAPI document (for a relay at
 * RELAY_PUBLIC_URL, default http://127.0.0.1:8787) so tools such as `redocly lint` can read it.
 */
const out = process.argv[2];
if (!out) {
  console.error('usage: printOpenApi.ts <output file>');
  process.exit(2);
}
const doc = buildOpenApi(VERSION, process.env.RELAY_PUBLIC_URL ?? 'http://127.0.0.1:8787');
writeFileSync(out, `${JSON.stringify(doc, null, 2)}\n`);
