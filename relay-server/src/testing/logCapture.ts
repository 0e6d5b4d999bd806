import { Writable } from 'node:stream';

/** A pino destination that keeps every line, so tests can read and scan the logs. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];

  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    for (const line of chunk.toString('utf8').split('\n')) if (line) this.lines.push(line);
    done();
  }

  /** Parsed log records (pino JSON). */
  records(): Array<Record<string, unknown>> {
    return this.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  text(): string {
    return this.lines.join('\n');
  }
}

/**
 * Secrets a test run has seen (passwords sent, tokens received, links mailed). The harness
 * fails a relay's shutdown if any of them appears in its log output.
 */
export class SecretLedger {
  private readonly secrets = new Set<string>();

  add(value: unknown): void {
    if (typeof value === 'string' && value.length >= 8) this.secrets.add(value);
  }

  /** Record every secret-looking field of a request or response body. */
  collect(body: unknown): void {
    if (!body || typeof body !== 'object') return;
    for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
      if (/password|token|secret|private_key/i.test(k)) this.add(v);
      else if (v && typeof v === 'object') this.collect(v);
    }
  }

  /** The secrets found in `text`, masked for the failure message. */
  leakedIn(text: string): string[] {
    return [...this.secrets]
      .filter((s) => text.includes(s))
      .map((s) => `${s.slice(0, 4)}…(${s.length} chars)`);
  }

  get size(): number {
    return this.secrets.size;
  }
}
