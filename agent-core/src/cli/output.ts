import type { Result } from '../desktop/desktopApi.js';

/** Where the CLI writes: results to stdout, progress and errors to stderr (tests capture both). */
export interface Io {
  out(line: string): void;
  err(line: string): void;
  isTty: boolean;
}

export const processIo: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  isTty: Boolean(process.stderr.isTTY),
};

/** A failure the CLI reports: its message, what to do next, and the exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly hint: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** What to do next, by error code; every failure the CLI prints ends with one of these. */
const HINTS: Record<string, string> = {
  NOT_SIGNED_IN: 'Sign in first: cloud-connect login --email you@example.com',
  UNAUTHORIZED: 'Check the email and password, or reset the password from the desktop app.',
  NETWORK_ERROR:
    'Check that the relay is running and the URL is right (--relay or CLOUD_CONNECT_RELAY_URL).',
  TIMEOUT: 'The relay is slow or unreachable; try again, or check --relay.',
  RATE_LIMITED: 'Wait a moment and try again.',
  EMAIL_NOT_VERIFIED: 'Open the link in the verification email, then try again.',
  TOKEN_MISSING:
    'Give the token: CLOUD_CONNECT_INSTANCE_TOKEN for WireGuard, TUNNEL_TOKEN for Cloudflare.',
  TOKEN_REVOKED: 'The instance token was regenerated or the instance deleted: use the new token.',
  INVALID_TOKEN:
    'Copy the whole tunnel token from the Cloudflare dashboard (Zero Trust → Tunnels).',
  TOKEN_REJECTED:
    'Cloudflare refused this token: check the tunnel still exists, or create a new token.',
  BINARY_MISSING:
    'Install the missing program (cloudflared, or wireguard-tools + wireguard-go) and try again.',
  PERMISSION_DENIED: 'Run as root, or give the container NET_ADMIN and /dev/net/tun.',
  NO_KEYCHAIN:
    'Set CLOUD_CONNECT_SECRET_KEY (32+ characters) to keep secrets in an encrypted file.',
  VALIDATION_ERROR: 'Fix the value named above and try again.',
  NOT_FOUND: 'Check the id: cloud-connect instances lists yours.',
  INTERNAL: 'Run again with LOG_LEVEL=debug and report the output if it keeps failing.',
};

export function hintFor(code: string): string {
  return (
    HINTS[code] ??
    'Try again; if it keeps failing, run with --verbose and check the log lines above.'
  );
}

/** The value of a Result, or a CliError with its message, field messages and hint. */
export function unwrap<T>(result: Result<T>): T {
  if (result.ok) return result.value;
  const fields = result.fields ? Object.entries(result.fields).map(([k, v]) => `  ${k}: ${v}`) : [];
  throw new CliError([result.message, ...fields].join('\n'), hintFor(result.code));
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

export function formatDuration(seconds: number): string {
  const s = Math.floor(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
