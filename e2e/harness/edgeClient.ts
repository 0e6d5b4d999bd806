import { until } from '@cloud-connect/relay-server/testing';
import type { ExecResult, NetLab } from './netlab.js';

/** One answer of the edge as curl saw it. */
export interface EdgeAnswer {
  status: number;
  body: string;
  exitCode: number | null;
}

/**
 * A visitor of the edge: curl run in lab host `from` against the edge at `address`
 * (`ip` or `ip:port`, plain HTTP), naming the public host in the Host header.
 */
export class EdgeClient {
  constructor(
    private readonly lab: NetLab,
    private readonly from: string,
    private readonly address: string,
  ) {}

  /** curl with this Host and these extra arguments (e.g. `-o /dev/null`, `-w …`). */
  curl(
    host: string,
    urlPath: string,
    args: string[],
    { seconds = 10, reject = true }: { seconds?: number; reject?: boolean } = {},
  ): Promise<ExecResult> {
    return this.lab.exec(
      this.from,
      'curl',
      [
        '-sS',
        '-m',
        String(seconds),
        '-H',
        `Host: ${host}`,
        ...args,
        `http://${this.address}${urlPath}`,
      ],
      { reject },
    );
  }

  /** GET `urlPath` with this Host; body and status code (0 when curl got no answer). */
  async get(host: string, urlPath = '/hello', extra: string[] = []): Promise<EdgeAnswer> {
    const r = await this.curl(host, urlPath, ['-w', '\n%{http_code}', ...extra], { reject: false });
    const cut = r.stdout.lastIndexOf('\n');
    return {
      status: Number(r.stdout.slice(cut + 1)),
      body: r.stdout.slice(0, cut),
      exitCode: r.exitCode,
    };
  }

  /** Wait until `host` answers `status`; resolves with that answer. */
  answers(host: string, status: number, timeoutMs?: number, everyMs?: number): Promise<EdgeAnswer> {
    return until(
      `${host} answering ${status}`,
      async () => {
        const r = await this.get(host);
        return r.status === status && r;
      },
      timeoutMs,
      everyMs,
    );
  }
}
