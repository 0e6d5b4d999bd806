import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIG_VARIABLES } from '@cloud-connect/relay-server';
import { describe, expect, it } from 'vitest';

/** The README is the user's manual: these checks keep what it says in step with the code. */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
  engines: { node: string };
  packageManager: string;
};

/** The packages an `apt-get install` in `text` names (flags dropped, up to `&&` or a blank line). */
function aptPackages(text: string): string[] {
  const after = text.split('apt-get install')[1] ?? '';
  const command = after.replace(/\\\n/g, ' ').split(/&&|\n\s*\n/)[0] ?? '';
  return command
    .split(/\s+/)
    .filter((w) => w && !w.startsWith('-'))
    .sort();
}

describe('README', () => {
  it('documents every relay configuration variable with its default', () => {
    const rows = new Map(
      [...readme.matchAll(/^\| `([A-Z_]+)` +\| (.+?) +\|/gm)].map((m) => [
        m[1],
        m[2]!.replace(/`/g, '').trim(),
      ]),
    );
    for (const [name, def] of CONFIG_VARIABLES) {
      expect(rows.has(name), `${name} is missing from the configuration table`).toBe(true);
      expect(rows.get(name), `${name}'s default`).toBe(def);
    }
  });

  it('only names npm scripts that exist', () => {
    const named = [...readme.matchAll(/npm (?:run )?([a-z][a-z:-]*)/g)].map((m) => m[1]!);
    const builtins = new Set(['ci', 'install', 'test', 'start', 'exec', 'pack']);
    for (const name of named) {
      if (builtins.has(name) && name !== 'test' && name !== 'start') continue;
      expect(pkg.scripts[name], `npm script "${name}"`).toBeDefined();
    }
  });

  it('gives the same test line that CI runs', () => {
    const ci = readFileSync(path.join(root, '.ci/run'), 'utf8');
    const line =
      /```sh\n(apt-get update && .+ && scripts\/with-node\.sh npm ci && scripts\/with-node\.sh npm test)\n```/.exec(
        readme,
      )?.[1];
    expect(line, 'the one-line test command in the Tests section').toBeDefined();
    const readmePackages = aptPackages(line!);
    const ciPackages = aptPackages(ci);
    expect(readmePackages.length).toBeGreaterThan(5);
    expect(readmePackages).toEqual(ciPackages);
    expect(ci).toMatch(/^scripts\/with-node\.sh npm ci$/m);
    expect(ci).toMatch(/^scripts\/with-node\.sh npm test$/m);
  });

  it('runs every install and start line with the Node.js the repo asks for', () => {
    const lines = [...readme.matchAll(/```sh\n([^`]*?)```/g)].flatMap((m) => m[1]!.split('\n'));
    const npmLines = lines.filter((l) => /\bnpm ci\b/.test(l));
    expect(npmLines.length).toBeGreaterThanOrEqual(3);
    for (const l of npmLines) expect(l).not.toMatch(/(^|&& )npm /);
  });

  it('names the Node.js version engines asks for and the one .node-version pins', () => {
    const pin = readFileSync(path.join(root, '.node-version'), 'utf8').trim();
    const minimum = pkg.engines.node.replace(/^>=/, '');
    const requirements = /^Requirements: [\s\S]+?\n\n/m.exec(readme)?.[0] ?? '';
    expect(requirements).toContain(`Node.js ${minimum}+`);
    expect(requirements).toContain(`Node.js ${pin}`);
    expect(requirements).toContain(`npm ${pkg.packageManager.replace(/^npm@/, '')}`);
  });
});
