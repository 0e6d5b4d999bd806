import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

/** Paths pino blanks out wherever they appear in a log object. */
const REDACT = [
  'password',
  'password_confirmation',
  'token',
  'access_token',
  'refresh_token',
  'instance_token',
  'private_key',
  'secret',
  '*.password',
  '*.password_confirmation',
  '*.token',
  '*.access_token',
  '*.refresh_token',
  '*.instance_token',
  '*.private_key',
  '*.secret',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["stripe-signature"]',
  'headers.authorization',
];

/** Structured JSON logs with secrets redacted; tests pass their own destination to read them. */
export function createLogger(
  level: string,
  destination?: DestinationStream,
  base: Record<string, unknown> = { service: 'relay-server' },
): Logger {
  return pino(
    {
      level,
      base,
      redact: { paths: REDACT, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
