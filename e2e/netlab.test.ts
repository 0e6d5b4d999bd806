import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { NetLab, requireNetlab } from './harness/netlab.js';

const available = requireNetlab();

const HTTP_SERVER = `require('node:http').createServer((q, s) => s.end('hello from ' + process.env.WHO)).listen(8000, '0.0.0.0', () => console.log('listening'))`;

const netnsList = () => spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
const links = () => spawnSync('ip', ['-br', 'link'], { encoding: 'utf8' }).stdout;

describe.skipIf(!available.ok)('netlab harness', () => {
  let lab: NetLab | null = null;
  afterEach(async () => {
    await lab?.close();
    lab = null;
  });

  it('gives every host an address the root namespace and the other hosts reach over HTTP', async () => {
    lab = await NetLab.create({ tag: 'hG', hosts: ['cloud', 'home'] });
    const server = lab.spawn('home', process.execPath, ['-e', HTTP_SERVER], {
      env: { WHO: 'home' },
    });
    await server.waitForLine((l) => l === 'listening');
    const fromRoot = await fetch(`http://${lab.ip('home')}:8000/`);
    expect(await fromRoot.text()).toBe('hello from home');
    const fromCloud = await lab.exec('cloud', 'curl', ['-s', `http://${lab.ip('home')}:8000/`]);
    expect(fromCloud.stdout).toBe('hello from home');
  });

  it('cuts a host off with linkDown and restores it with linkUp', async () => {
    lab = await NetLab.create({ tag: 'hG', hosts: ['cloud', 'home'] });
    const server = lab.spawn('home', process.execPath, ['-e', HTTP_SERVER], {
      env: { WHO: 'home' },
    });
    await server.waitForLine((l) => l === 'listening');
    await lab.linkDown('home');
    const cut = await lab.exec(
      'cloud',
      'curl',
      ['-s', '-m', '2', `http://${lab.ip('home')}:8000/`],
      { reject: false },
    );
    expect(cut.exitCode).not.toBe(0);
    await lab.linkUp('home');
    const back = await lab.exec('cloud', 'curl', [
      '-s',
      '-m',
      '5',
      '--retry',
      '3',
      '--retry-all-errors',
      `http://${lab.ip('home')}:8000/`,
    ]);
    expect(back.stdout).toBe('hello from home');
  });

  it('leaves no process, interface or namespace behind on close, even with children running', async () => {
    lab = await NetLab.create({ tag: 'hG', hosts: ['cloud', 'home'] });
    const { prefix } = lab;
    // A child that ignores SIGTERM must still be gone after close (SIGKILL after the timeout).
    const stubborn = lab.spawn('cloud', process.execPath, [
      '-e',
      `process.on('SIGTERM', () => {}); console.log('up'); setInterval(() => {}, 1000)`,
    ]);
    await stubborn.waitForLine((l) => l === 'up');
    const pid = stubborn.pid as number;
    expect(netnsList()).toContain(prefix);
    const started = Date.now();
    await lab.close();
    lab = null;
    expect(stubborn.running).toBe(false);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(() => process.kill(pid, 0)).toThrow();
    expect(netnsList()).not.toContain(prefix);
    expect(links()).not.toContain(prefix);
  });
});
