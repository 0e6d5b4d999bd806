import type { ChildProcess } from 'node:child_process';

/** A tracked child process running inside one of the lab's namespaces. */
export class LabProcess {
  readonly lines: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly host: string,
    readonly child: ChildProcess,
    readonly label: string,
  ) {
    const onData = () => {
      let partial = '';
      return (chunk: Buffer) => {
        const text = partial + chunk.toString('utf8');
        const parts = text.split('\n');
        partial = parts.pop() ?? '';
        for (const line of parts) this.push(line);
      };
    };
    child.stdout?.on('data', onData());
    child.stderr?.on('data', onData());
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        this.notify();
        resolve(this.exitInfo);
      });
      child.once('error', () => {
        this.exitInfo ??= { code: null, signal: null };
        this.notify();
        resolve(this.exitInfo);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exitInfo === null;
  }

  /** Everything the process printed so far (stdout and stderr interleaved by line). */
  output(): string {
    return this.lines.join('\n');
  }

  /** Lines of stdout that parse as JSON objects (from line `from` on, as `waitForLine` counts). */
  jsonLines<T = Record<string, unknown>>(from = 0): T[] {
    const out: T[] = [];
    for (const l of this.lines.slice(from)) {
      if (!l.startsWith('{')) continue;
      try {
        out.push(JSON.parse(l) as T);
      } catch {
        /* a log line that merely starts with a brace */
      }
    }
    return out;
  }

  /**
   * Resolve with the first line (already printed or still to come) for which `match` returns
   * true; reject after `timeoutMs` or when the process exits first.
   */
  waitForLine(match: (line: string) => boolean, timeoutMs = 30_000, from = 0): Promise<string> {
    return new Promise((resolve, reject) => {
      let index = from;
      const check = () => {
        for (; index < this.lines.length; index++) {
          const line = this.lines[index] as string;
          if (match(line)) return done(() => resolve(line));
        }
        if (!this.running) {
          done(() =>
            reject(
              new Error(
                `${this.label} exited (${JSON.stringify(this.exitInfo)}) before the line came:\n${this.tail()}`,
              ),
            ),
          );
        }
      };
      const timer = setTimeout(
        () =>
          done(() =>
            reject(
              new Error(`${this.label}: no matching line in ${timeoutMs} ms:\n${this.tail()}`),
            ),
          ),
        timeoutMs,
      );
      const done = (fn: () => void) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        fn();
      };
      this.waiters.add(check);
      check();
    });
  }

  /** The same, for JSON lines: the first parsed object that `match` accepts. */
  async waitForJson<T = Record<string, unknown>>(
    match: (value: T) => boolean,
    timeoutMs = 30_000,
    from = 0,
  ): Promise<T> {
    const line = await this.waitForLine(
      (l) => {
        if (!l.startsWith('{')) return false;
        try {
          return match(JSON.parse(l) as T);
        } catch {
          return false;
        }
      },
      timeoutMs,
      from,
    );
    return JSON.parse(line) as T;
  }

  /** SIGTERM, wait up to `timeoutMs`, then SIGKILL; resolves once the process is gone. */
  async stop(timeoutMs = 5000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.running) return this.exited;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => {
      if (this.running) this.child.kill('SIGKILL');
    }, timeoutMs);
    const info = await this.exited;
    clearTimeout(timer);
    return info;
  }

  tail(n = 30): string {
    return this.lines.slice(-n).join('\n');
  }

  private push(line: string) {
    this.lines.push(line);
    if (process.env.CC_LAB_VERBOSE === '1') process.stderr.write(`[${this.label}] ${line}\n`);
    this.notify();
  }

  private notify() {
    for (const w of [...this.waiters]) w();
  }
}
