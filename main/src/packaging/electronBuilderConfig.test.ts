import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
interface TargetBlock {
  target: string[];
  icon?: string;
  hardenedRuntime?: boolean;
  entitlements?: string;
  entitlementsInherit?: string;
}
const config = parse(readFileSync(path.join(root, 'electron-builder.yml'), 'utf8')) as {
  appId: string;
  productName: string;
  directories: { app: string; output: string; buildResources: string };
  extraMetadata: { main: string };
  files: string[];
  extraResources: Array<{ from: string; to: string }>;
  asarUnpack: string[];
  npmRebuild: boolean;
  linux: TargetBlock & { desktop?: { entry?: Record<string, string> } };
  mac: TargetBlock;
  win: TargetBlock;
};

/**
 * electron-builder's own check of a configuration (its JSON schema and deprecations), as `npm
 * run dist` runs it before building; reached through electron-builder, which depends on it.
 */
const fromBuilder = createRequire(createRequire(import.meta.url).resolve('electron-builder'));
const { validateConfiguration } = fromBuilder('app-builder-lib/out/util/config/config.js') as {
  validateConfiguration: (config: unknown, logger: unknown) => Promise<void>;
};
const { DebugLogger } = fromBuilder('builder-util') as {
  DebugLogger: new (enabled: boolean) => unknown;
};

describe('electron-builder.yml', () => {
  it('is a configuration the installed electron-builder accepts', async () => {
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
    // electron-builder 26 takes the .desktop file's keys under `entry`.
    expect(config.linux.desktop?.entry?.StartupWMClass).toBe('Cloud Connect');
  });

  it('builds Linux AppImage and deb, macOS dmg and Windows nsis under one app id', () => {
    expect(config.appId).toBe('dev.cloudconnect.desktop');
    expect(config.productName).toBe('Cloud Connect');
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.mac.target).toEqual(['dmg']);
    expect(config.win.target).toEqual(['nsis']);
  });

  it('signs macOS with the hardened runtime and entitlements that exist', () => {
    expect(config.mac.hardenedRuntime).toBe(true);
    for (const file of [config.mac.entitlements, config.mac.entitlementsInherit]) {
      expect(file).toMatch(/^build\//);
      const text = readFileSync(path.join(root, file!), 'utf8');
      expect(text).toContain('com.apple.security.cs.allow-jit');
    }
  });

  it('points at icons that exist, from build/', () => {
    expect(config.directories.buildResources).toBe('build');
    expect(existsSync(path.join(root, config.linux.icon!, '512x512.png'))).toBe(true);
    expect(existsSync(path.join(root, config.mac.icon!))).toBe(true);
    expect(existsSync(path.join(root, config.win.icon!))).toBe(true);
  });

  it('packs the compiled main process and its entry, the renderer and the tray icons', () => {
    expect(config.directories.app).toBe('main');
    expect(config.files).toContain('dist/**');
    expect(config.extraMetadata.main).toBe('dist/electron/main.js');
    // The entry and the preload are compiled from these sources.
    expect(existsSync(path.join(root, 'main/src/electron/main.ts'))).toBe(true);
    expect(existsSync(path.join(root, 'main/src/electron/preload.cts'))).toBe(true);
    expect(config.extraResources).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ from: 'renderer/dist', to: 'renderer' }),
        expect.objectContaining({ from: 'assets', to: 'assets' }),
      ]),
    );
    for (const state of ['connected', 'connecting', 'error', 'off']) {
      expect(existsSync(path.join(root, `assets/tray/tray-${state}.png`))).toBe(true);
      expect(existsSync(path.join(root, `assets/tray/tray-${state}@2x.png`))).toBe(true);
    }
  });

  it('keeps keytar unpacked from the asar and rebuilds native modules for Electron', () => {
    expect(config.asarUnpack).toContain('**/node_modules/keytar/**');
    expect(config.npmRebuild).toBe(true);
  });
});
