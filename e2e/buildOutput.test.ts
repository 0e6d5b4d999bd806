import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './harness/relayProcess.js';

const run = promisify(execFile);
const TSC = path.join(REPO_ROOT, 'node_modules/typescript/bin/tsc');

/** Test code: a test file, a stand-in under a `testing/` room, or a module that loads vitest. */
function testCodeIn(files: string[]): string[] {
  return files.filter(
    (file) =>
      /\/testing\//.test(file) ||
      /\.(test|spec)\.tsx?$/.test(file) ||
      /\bfrom\s+['"]vitest['"]|import\(\s*['"]vitest['"]\s*\)/.test(readFileSync(file, 'utf8')),
  );
}

/**
 * Issue 10 §6: what `npm run build` compiles (`tsc -b agent-core relay-server main && vite build
 * renderer`) holds no test code, so nothing a user installs carries stand-ins or vitest. The
 * checks read the builds' own file lists rather than dist/, which a build never cleans (an old
 * dist/testing would outlive the fix, and a fresh clone has no dist at all).
 */
describe('the production build', () => {
  it.each(['agent-core', 'relay-server', 'main'])(
    'compiles no test code into %s/dist',
    async (pkg) => {
      const { stdout } = await run(
        process.execPath,
        [TSC, '-p', path.join(pkg, 'tsconfig.json'), '--listFilesOnly'],
        { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 },
      );
      const own = stdout
        .split('\n')
        .map((line) => line.trim())
        .filter((file) => file.startsWith(path.join(REPO_ROOT, pkg, 'src') + path.sep));
      expect(own.length).toBeGreaterThan(10);
      expect(testCodeIn(own)).toEqual([]);
    },
    60_000,
  );

  it('bundles no test code into renderer/dist', async () => {
    const { build } = await import('vite');
    const output = await build({
      configFile: path.join(REPO_ROOT, 'renderer/vite.config.ts'),
      logLevel: 'silent',
      build: { write: false },
    });
    const outputs = (Array.isArray(output) ? output : [output]) as Array<{
      output: Array<{ type: string; moduleIds?: string[] }>;
    }>;
    const modules = outputs
      .flatMap((o) => o.output)
      .flatMap((chunk) => (chunk.type === 'chunk' ? (chunk.moduleIds ?? []) : []))
      .filter((id) => id.startsWith(path.join(REPO_ROOT, 'renderer/src') + path.sep));
    expect(modules.length).toBeGreaterThan(10);
    expect(testCodeIn(modules)).toEqual([]);
  }, 120_000);

  it.each(['agent-core', 'relay-server'])(
    "resolves %s's ./testing entry only from source, never from dist",
    (pkg) => {
      const manifest = JSON.parse(
        readFileSync(path.join(REPO_ROOT, pkg, 'package.json'), 'utf8'),
      ) as {
        exports: Record<string, Record<string, string>>;
      };
      expect(manifest.exports['./testing']).toEqual({
        '@cloud-connect/source': './src/testing/index.ts',
      });
    },
  );
});
