import type { FailureCode, Result } from '../desktop/failure.js';
import { CodedError } from '../errors/codedError.js';

/** Where the CLI writes: results to stdout, progress and errors to stderr (tests capture both). */
export interface Io {
  out(line: string): void;
  err(line: string): void;
  isTty: boolean;
  /** The clock for times shown as "3 minutes ago" (tests pass their own). */
  now?: () => Date;
}

export const processIo: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  isTty: Boolean(process.stderr.isTTY),
};

/** Exit codes: 0 ok, 1 the command failed, 2 the command line was wrong (nothing was done). */
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/**
 * What a CLI failure is called: any code a DesktopApi call can fail with, or the CLI's own:
 * USAGE (the command line is wrong) and RELAY_MISMATCH (signed in to another relay).
 */
export type CliErrorCode = FailureCode | 'USAGE' | 'RELAY_MISMATCH';

/** A failure the CLI reports: a code, its message, what to do next, and the exit code. */
export class CliError extends CodedError<CliErrorCode> {
  constructor(
    code: CliErrorCode,
    message: string,
    readonly hint: string,
    readonly exitCode: number = EXIT_FAILED,
  ) {
    super(code, message);
  }
}

/** A usage error: the command line itself is wrong; exit code 2. */
export function usageError(message: string, hint: string): CliError {
  return new CliError('USAGE', message, hint, EXIT_USAGE);
}

/**
 * What to do next, by error code; every failure the CLI prints ends with one of these (codes
 * not listed get DEFAULT_HINT).
 */
export const HINTS: Partial<Record<CliErrorCode, string>> = {
  NOT_SIGNED_IN: 'Sign in first: cloud-connect login --email you@example.com',
  UNAUTHORIZED: 'Check the email and password, or reset the password from the desktop app.',
  NETWORK_ERROR:
    'Check that the relay is running and the URL is right (--relay or CLOUD_CONNECT_RELAY_URL).',
  INVALID_RESPONSE:
    'That URL did not answer as a Cloud Connect relay: give the relay’s own URL with --relay, e.g. https://relay.example.com',
  TIMEOUT: 'The relay is slow or unreachable; try again, or check --relay.',
  RATE_LIMITED: 'Wait a moment and try again.',
  EMAIL_NOT_VERIFIED: 'Open the link in the verification email, then try again.',
  TOKEN_MISSING:
    'Give the token: CLOUD_CONNECT_INSTANCE_TOKEN for WireGuard, TUNNEL_TOKEN for Cloudflare.',
  TOKEN_REVOKED: 'The instance token was regenerated or the instance deleted: use the new token.',
  INVALID_TOKEN:
    'Copy the whole tunnel token from the Cloudflare dashboard (Zero Trust → Networks → Tunnels).',
  TOKEN_REJECTED:
    'Cloudflare refused this token: check the tunnel still exists, or create a new token.',
  BINARY_MISSING:
    'Install the missing program (cloudflared, or wireguard-tools + wireguard-go) and try again.',
  PERMISSION_DENIED: 'Run as root, or give the container NET_ADMIN and /dev/net/tun.',
  NO_KEYCHAIN:
    'Set CLOUD_CONNECT_SECRET_KEY (32+ characters) to keep secrets in an encrypted file.',
  KEYCHAIN_LOCKED:
    'Unlock the keychain (log in to the desktop session), or set CLOUD_CONNECT_SECRET_KEY.',
  SECRET_KEY_TOO_SHORT: 'Set CLOUD_CONNECT_SECRET_KEY to 32 characters or more.',
  SECRET_KEY_WRONG:
    'Set CLOUD_CONNECT_SECRET_KEY to the key the secrets file was written with (or remove the file to start over).',
  SECRET_FILE_UNAVAILABLE:
    'Check that the data dir (--data-dir or CLOUD_CONNECT_DATA_DIR) is a directory you can write.',
  SETTINGS_UNAVAILABLE:
    'Check that the data dir (--data-dir or CLOUD_CONNECT_DATA_DIR) is a directory you can write.',
  SETTINGS_NEWER_VERSION: 'Update cloud-connect: a newer version wrote these settings.',
  VALIDATION_ERROR: 'Fix the value named above and try again.',
  NOT_FOUND:
    'Check the id: cloud-connect connections lists the saved connections, cloud-connect instances your instances.',
  INTERNAL: 'Run again with --verbose and report the output if it keeps failing.',
};

export const DEFAULT_HINT =
  'Try again; if it keeps failing, run with --verbose and check the log lines above.';

export function hintFor(code: CliErrorCode): string {
  return HINTS[code] ?? DEFAULT_HINT;
}

/** The value of a Result, or a CliError with its code, message, field messages and hint. */
export function unwrap<T>(result: Result<T>): T {
  if (result.ok) return result.value;
  const fields = result.fields ? Object.entries(result.fields).map(([k, v]) => `  ${k}: ${v}`) : [];
  throw new CliError(result.code, [result.message, ...fields].join('\n'), hintFor(result.code));
}

/** The JSON an error is printed as with `--json`, on stdout (the one place `--json` output goes). */
export interface JsonError {
  error: { code: CliErrorCode; message: string; hint: string };
}

/** Print a failure: "Error: … / What to do: …" on stderr, or one JSON line on stdout with --json. */
export function reportError(io: Io, e: CliError, json: boolean): void {
  if (json) {
    const body: JsonError = { error: { code: e.code, message: e.message, hint: e.hint } };
    io.out(JSON.stringify(body));
    return;
  }
  io.err(`Error: ${e.message}`);
  io.err(`What to do: ${e.hint}`);
}

/** A plain-text table with aligned columns. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}
