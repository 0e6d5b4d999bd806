import childProcess from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findElectron } from './electronBinary.js';

const require = createRequire(import.meta.url);
const electronIndex = path.join(path.dirname(require.resolve('electron/package.json')), 'index.js');
const saved = process.env.ELECTRON_OVERRIDE_DIST_PATH;

afterEach(() => {
  if (saved === undefined) delete process.env.ELECTRON_OVERRIDE_DIST_PATH;
  else process.env.ELECTRON_OVERRIDE_DIST_PATH = saved;
});

describe('findElectron', () => {
  it('reports a missing binary without loading the electron package, whose index.js would download one', () => {
    delete process.env.ELECTRON_OVERRIDE_DIST_PATH;
    // electron's index.js starts its download with child_process.spawnSync: record, never run.
    const realSpawnSync = childProcess.spawnSync;
    const spawned: string[] = [];
    childProcess.spawnSync = ((command: string, args?: readonly string[]) => {
      spawned.push([command, ...(args ?? [])].join(' '));
      return { status: 1 };
    }) as typeof childProcess.spawnSync;
    try {
      // This machine's install skipped electron's download (allowScripts): there is no binary.
      const found = findElectron();
      expect(found).toEqual({ path: null, reason: expect.stringContaining('has no binary') });
    } finally {
      childProcess.spawnSync = realSpawnSync;
    }
    expect(spawned).toEqual([]);
    expect(require.cache[electronIndex]).toBeUndefined();
  });

  it('finds the binary ELECTRON_OVERRIDE_DIST_PATH points at, and says so when it is not there', () => {
    const dist = mkdtempSync(path.join(tmpdir(), 'electron-dist-'));
    try {
      process.env.ELECTRON_OVERRIDE_DIST_PATH = dist;
      expect(findElectron().path).toBeNull();
      writeFileSync(path.join(dist, 'electron'), '#!/bin/sh\n');
      chmodSync(path.join(dist, 'electron'), 0o755);
      expect(findElectron()).toEqual({ path: path.join(dist, 'electron') });
    } finally {
      rmSync(dist, { recursive: true, force: true });
    }
  });
});
