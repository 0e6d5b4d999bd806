import { execa } from 'execa';
import { WireGuardError, type WireGuardAdvice } from './wireguardError.js';

export interface CommandResult {
  stdout: string;
  stderr: string;
}

/**
 * Runs one short command to completion and resolves with its output, or rejects with a
 * WireGuardError. Arguments never hold a secret (keys go through 0600 files), so they may appear
 * in error messages; stdout never does (`wg show … dump` prints the private key).
 */
export type RunCommand = (file: string, args: readonly string[]) => Promise<CommandResult>;

/** The Debian/Ubuntu package of each program the WireGuard primitives run. */
const PACKAGES: Record<string, string> = {
  'wireguard-go': 'wireguard-go',
  wg: 'wireguard-tools',
  ip: 'iproute2',
  iptables: 'iptables',
};

/** The failure for a program that is not on PATH, naming the package that has it. */
export function missingBinary(advice: WireGuardAdvice, file: string): WireGuardError {
  const pkg = PACKAGES[file];
  const install = pkg
    ? ` (Debian/Ubuntu: apt install ${pkg}${advice.otherInstall ? `; ${advice.otherInstall}` : ''})`
    : '';
  return new WireGuardError(
    'BINARY_MISSING',
    `${file} is not installed or not on PATH${install}; ${advice.needs} needs it`,
    { binary: file },
  );
}

const PERMISSION = /operation not permitted|permission denied|must be run as root|EPERM|EACCES/i;

/** Map a finished command's failure to a WireGuardError with a message that says what to do. */
export function commandFailure(
  advice: WireGuardAdvice,
  file: string,
  args: readonly string[],
  failure: { code?: string | undefined; stderr: string; exitCode?: number | undefined },
): WireGuardError {
  if (failure.code === 'ENOENT') return missingBinary(advice, file);
  const command = `${file} ${args.join(' ')}`;
  const stderr = failure.stderr.trim();
  if (failure.code === 'EACCES' || PERMISSION.test(stderr)) {
    return new WireGuardError(
      'PERMISSION_DENIED',
      `${command}: not permitted (${stderr || failure.code}); ${advice.permission}`,
    );
  }
  return new WireGuardError(
    'COMMAND_FAILED',
    `${command} failed${failure.exitCode !== undefined ? ` (exit ${failure.exitCode})` : ''}: ${stderr || 'no error output'}`,
    { command },
  );
}

/**
 * The real runner: execa, no shell, a timeout so a hung command cannot block its caller, English
 * messages to match on, and a minimal environment (none of the caller's secrets in the child's).
 */
export function createExecaRunner(advice: WireGuardAdvice): RunCommand {
  return async (file, args) => {
    const result = await execa(file, [...args], {
      reject: false,
      timeout: 15_000,
      stdin: 'ignore',
      extendEnv: false,
      env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' },
    });
    if (result.failed) {
      throw commandFailure(advice, file, args, {
        code: (result as { code?: string }).code,
        stderr: typeof result.stderr === 'string' ? result.stderr : '',
        exitCode: result.exitCode,
      });
    }
    return { stdout: result.stdout, stderr: result.stderr };
  };
}

/**
 * Whether a WireGuard interface named `name` answers on its control channel (`wg show <if>
 * listen-port`): false when there is none, an error when `wg` cannot run at all.
 */
export async function interfaceAnswers(run: RunCommand, name: string): Promise<boolean> {
  try {
    await run('wg', ['show', name, 'listen-port']);
    return true;
  } catch (e) {
    if (e instanceof WireGuardError && e.code === 'COMMAND_FAILED') return false;
    throw e;
  }
}
