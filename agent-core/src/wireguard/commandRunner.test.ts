import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandFailure, createExecaRunner, missingBinary } from './commandRunner.js';
import type { WireGuardAdvice } from './wireguardError.js';

const RELAY_LIKE: WireGuardAdvice = {
  needs: 'WG_MODE',
  permission: 'run relay-server as root or give it CAP_NET_ADMIN',
  nameTaken: (name) => `${name} is taken`,
};
const AGENT_LIKE: WireGuardAdvice = {
  needs: 'the WireGuard tunnel',
  permission: 'the WireGuard tunnel needs root or CAP_NET_ADMIN',
  nameTaken: (name) => `${name} is taken`,
  otherInstall: 'macOS: brew install wireguard-tools',
};

describe('WireGuard command failures', () => {
  it('names the package of a missing program, with the caller’s advice', () => {
    expect(missingBinary(RELAY_LIKE, 'iptables')).toMatchObject({
      code: 'BINARY_MISSING',
      message:
        'iptables is not installed or not on PATH (Debian/Ubuntu: apt install iptables); WG_MODE needs it',
      details: { binary: 'iptables' },
    });
    expect(missingBinary(AGENT_LIKE, 'wg').message).toBe(
      'wg is not installed or not on PATH (Debian/Ubuntu: apt install wireguard-tools; macOS: brew install wireguard-tools); the WireGuard tunnel needs it',
    );
    expect(missingBinary(AGENT_LIKE, 'other').message).toBe(
      'other is not installed or not on PATH; the WireGuard tunnel needs it',
    );
  });

  it.each([
    [{ stderr: 'RTNETLINK answers: Operation not permitted', exitCode: 2 }, 'PERMISSION_DENIED'],
    [{ code: 'EACCES', stderr: '' }, 'PERMISSION_DENIED'],
    [{ code: 'ENOENT', stderr: '' }, 'BINARY_MISSING'],
    [{ stderr: 'Error: Unknown device type.', exitCode: 2 }, 'COMMAND_FAILED'],
  ])('reads %j as %s', (failure, code) => {
    expect(commandFailure(RELAY_LIKE, 'ip', ['link', 'add', 'x'], failure).code).toBe(code);
  });

  it('says what failed, with its exit code and stderr, and what to do when not permitted', () => {
    const args = ['link', 'add', 'wg0', 'type', 'wireguard'];
    expect(commandFailure(RELAY_LIKE, 'ip', args, { stderr: 'boom\n', exitCode: 2 })).toMatchObject(
      {
        message: 'ip link add wg0 type wireguard failed (exit 2): boom',
        details: { command: 'ip link add wg0 type wireguard' },
      },
    );
    expect(
      commandFailure(AGENT_LIKE, 'ip', args, { stderr: 'Operation not permitted', exitCode: 2 })
        .message,
    ).toBe(
      'ip link add wg0 type wireguard: not permitted (Operation not permitted); the WireGuard tunnel needs root or CAP_NET_ADMIN',
    );
  });
});

describe('createExecaRunner', () => {
  const run = createExecaRunner(RELAY_LIKE);

  it('resolves with the output of a command that succeeds', async () => {
    await expect(run('sh', ['-c', 'echo out; echo err >&2'])).resolves.toEqual({
      stdout: 'out',
      stderr: 'err',
    });
  });

  it('rejects a failing command with COMMAND_FAILED and its stderr', async () => {
    await expect(run('sh', ['-c', 'echo broken >&2; exit 3'])).rejects.toMatchObject({
      code: 'COMMAND_FAILED',
      message: 'sh -c echo broken >&2; exit 3 failed (exit 3): broken',
    });
  });

  it('rejects a program that is not on PATH with BINARY_MISSING', async () => {
    const saved = process.env.PATH;
    const empty = await mkdtemp(path.join(tmpdir(), 'cc-path-'));
    process.env.PATH = empty;
    try {
      await expect(run('wg', ['show'])).rejects.toMatchObject({ code: 'BINARY_MISSING' });
    } finally {
      process.env.PATH = saved;
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('gives the command a minimal environment, none of ours', async () => {
    process.env.CC_TEST_SECRET = 'do-not-pass';
    try {
      const { stdout } = await run('sh', ['-c', 'env']);
      expect(stdout).not.toContain('do-not-pass');
      expect(stdout).toContain('LC_ALL=C');
    } finally {
      delete process.env.CC_TEST_SECRET;
    }
  });
});
