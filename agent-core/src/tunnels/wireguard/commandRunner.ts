import { execa } from 'execa';
import { TunnelError } from '../tunnelError.js';

export interface CommandResult {
  stdout: string;
  stderr: string;
}

/**
 * Runs one short command to completion, or rejects with a TunnelError. Arguments never hold a
 * secret (the private key goes through a 0600 file), so they may appear in messages; stdout
 * never does (`wg show … dump` prints the private key).
 */
export type RunCommand = (file: string, args: readonly string[]) => Promise<CommandResult>;

const PACKAGES: Record<string, string> = {
  'wireguard-go': 'wireguard-go',
  wg: 'wireguard-tools',
  ip: 'iproute2',
};

/** What to install when `file` is missing. */
export function missingBinary(file: string): TunnelError {
  const pkg = PACKAGES[file];
  return new TunnelError(
    'BINARY_MISSING',
    `${file} is not installed or not on PATH${pkg ? ` (Debian/Ubuntu: apt install ${pkg}; macOS: brew install wireguard-tools)` : ''}; the WireGuard tunnel needs it`,
    { binary: file },
  );
}

const PERMISSION = /operation not permitted|permission denied|must be run as root|EPERM|EACCES/i;

/** Map a failed command to a TunnelError with a message that says what to do. */
export function commandFailure(
  file: string,
  args: readonly string[],
  failure: { code?: string | undefined; stderr: string; exitCode?: number | undefined },
): TunnelError {
  if (failure.code === 'ENOENT') return missingBinary(file);
  const command = `${file} ${args.join(' ')}`;
  const stderr = failure.stderr.trim();
  if (failure.code === 'EACCES' || PERMISSION.test(stderr)) {
    return new TunnelError(
      'PERMISSION_DENIED',
      `${command}: not permitted (${stderr || failure.code}); the WireGuard tunnel needs root or CAP_NET_ADMIN`,
    );
  }
  return new TunnelError(
    'INTERNAL',
    `${command} failed${failure.exitCode !== undefined ? ` (exit ${failure.exitCode})` : ''}: ${stderr || 'no error output'}`,
    { command },
  );
}

/** The real runner: execa, no shell, English messages, a minimal environment, a timeout. */
export const execaRunner: RunCommand = async (file, args) => {
  const result = await execa(file, [...args], {
    reject: false,
    timeout: 15_000,
    stdin: 'ignore',
    extendEnv: false,
    env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' },
  });
  if (result.failed) {
    throw commandFailure(file, args, {
      code: (result as { code?: string }).code,
      stderr: typeof result.stderr === 'string' ? result.stderr : '',
      exitCode: result.exitCode,
    });
  }
  return { stdout: result.stdout, stderr: result.stderr };
};
