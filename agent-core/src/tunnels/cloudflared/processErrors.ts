import type { Result } from 'execa';
import { TunnelError } from '../tunnelError.js';
import { INVALID_TOKEN_MESSAGE } from './logLines.js';
import { redactSecrets } from './redaction.js';

/** Where the user gets cloudflared; part of the BINARY_MISSING message. */
export const CLOUDFLARED_INSTALL_URL =
  'https://developers.cloudflare.com/cloudflare-one/connections/connect-networks/downloads/';

/**
 * Map a failed spawn (execa's result with `reject: false`) to a TunnelError: this is the
 * boundary where execa's errors stop. ENOENT means the binary is not there.
 */
export function spawnFailure(
  result: Pick<Result, 'code' | 'shortMessage' | 'originalMessage'>,
  binaryPath: string,
  secrets: readonly string[],
): TunnelError {
  switch (result.code) {
    case 'ENOENT':
      return new TunnelError(
        'BINARY_MISSING',
        `cloudflared was not found (${binaryPath}). Install it from ${CLOUDFLARED_INSTALL_URL} ` +
          'or set the path to the cloudflared binary in the settings.',
        { binaryPath },
      );
    case 'EACCES':
      return new TunnelError(
        'PERMISSION_DENIED',
        `${binaryPath} cannot be run (permission denied). Make it executable or choose another cloudflared binary.`,
        { binaryPath },
      );
    default: {
      const why = result.originalMessage ?? result.shortMessage ?? 'unknown error';
      return new TunnelError(
        'INTERNAL',
        `cloudflared could not be started: ${redactSecrets(why, secrets)}`,
        {
          binaryPath,
          ...(result.code ? { cause: result.code } : {}),
        },
      );
    }
  }
}

/** What the driver saw of a process that went away on its own. */
export interface ExitFacts {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** The process printed `Provided Tunnel token is not valid.` */
  invalidToken: boolean;
  /** The error the log lines reported last (edge rejection, unreachable edge), if any. */
  reported: TunnelError | null;
  /** The last ERR line, already redacted, to tell the user what cloudflared said. */
  lastErrorLine: string | null;
}

/** Turn a process exit into the error the `exit` event carries. */
export function exitError(facts: ExitFacts): TunnelError {
  const details = { exitCode: facts.exitCode, signal: facts.signal };
  if (facts.invalidToken) return new TunnelError('INVALID_TOKEN', INVALID_TOKEN_MESSAGE, details);
  if (facts.reported?.code === 'TOKEN_REJECTED') {
    return new TunnelError(facts.reported.code, facts.reported.message, {
      ...facts.reported.details,
      ...details,
    });
  }
  const how =
    facts.signal !== null
      ? `cloudflared was stopped by ${facts.signal}`
      : `cloudflared exited with code ${facts.exitCode ?? 'unknown'}`;
  const said = facts.lastErrorLine ? `: ${facts.lastErrorLine}` : '';
  return new TunnelError('PROCESS_EXITED', `${how}${said}`, details);
}
