import { execa } from 'execa';

/** Why a WireGuard command failed, as a code an operator can act on. */
export type WireGuardErrorCode =
  /** wireguard-go, wg, ip or iptables is not installed. */
  | 'BINARY_MISSING'
  /** Creating or configuring interfaces needs root (or CAP_NET_ADMIN). */
  | 'PERMISSION_DENIED'
  /** The interface name is used by another process or interface. */
  | 'INTERFACE_IN_USE'
  /** The command ran and failed; the message carries its stderr. */
  | 'COMMAND_FAILED';

/** A failed WireGuard/network command; the message says what to do. Never carries a key. */
export class WireGuardError extends Error {
  constructor(
    readonly code: WireGuardErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'WireGuardError';
  }
}

export interface CommandResult {
  stdout: string;
  stderr: string;
}

/**
 * Runs one short command to completion and resolves with its output, or rejects with a
 * WireGuardError. Arguments never hold secrets (keys go through files), so they may appear in
 * error messages; stdout never does (`wg show … dump` prints the private key).
 */
export type RunCommand = (file: string, args: readonly string[]) => Promise<CommandResult>;

const PACKAGES: Record<string, string> = {
  'wireguard-go': 'wireguard-go',
  wg: 'wireguard-tools',
  ip: 'iproute2',
  iptables: 'iptables',
};

/** The message for a program that is not on PATH, with the Debian package that has it. */
export function missingBinaryMessage(file: string): string {
  const pkg = PACKAGES[file];
  return `${file} is not installed or not on PATH${pkg ? ` (Debian/Ubuntu: apt install ${pkg})` : ''}; WG_MODE needs it`;
}

const PERMISSION = /operation not permitted|permission denied|must be run as root|EPERM|EACCES/i;

/** Map a finished command's failure to a WireGuardError. */
export function commandFailure(
  file: string,
  args: readonly string[],
  failure: { code?: string | undefined; stderr: string; exitCode?: number | undefined },
): WireGuardError {
  if (failure.code === 'ENOENT')
    return new WireGuardError('BINARY_MISSING', missingBinaryMessage(file));
  const command = `${file} ${args.join(' ')}`;
  const stderr = failure.stderr.trim();
  if (failure.code === 'EACCES' || PERMISSION.test(stderr)) {
    return new WireGuardError(
      'PERMISSION_DENIED',
      `${command}: not permitted (${stderr || failure.code}); run relay-server as root or give it CAP_NET_ADMIN`,
    );
  }
  return new WireGuardError(
    'COMMAND_FAILED',
    `${command} failed${failure.exitCode !== undefined ? ` (exit ${failure.exitCode})` : ''}: ${stderr || 'no error output'}`,
  );
}

/** The real runner: execa, no shell, a timeout so a hung command cannot block the API. */
export const execaRunner: RunCommand = async (file, args) => {
  const result = await execa(file, [...args], {
    reject: false,
    timeout: 15_000,
    stdin: 'ignore',
    // English messages to match on, and none of the relay's own secrets in the child's env.
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
