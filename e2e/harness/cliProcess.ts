import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { ExecOptions, LabProcess, NetLab } from './netlab.js';
import { REPO_ROOT, TSX_NODE_ARGS } from './relayProcess.js';

const entry = path.join(REPO_ROOT, 'agent-core/src/cli/index.ts');

export interface CliRun {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  /** Resolves once stderr or stdout contains `text`. */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
}

/** Start the real `cloud-connect` CLI (from source, through tsx) as a child process. */
export function startCli(args: string[], env: Record<string, string>, stdin?: string): CliRun {
  const child = spawn(process.execPath, [...TSX_NODE_ARGS, entry, ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  child.stdout!.on('data', (d) => {
    out += String(d);
    for (const w of waiters) w();
  });
  child.stderr!.on('data', (d) => {
    err += String(d);
    for (const w of waiters) w();
  });
  child.stdin!.end(stdin ?? '');
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(text, timeoutMs = 20_000) {
      const seen = () =>
        typeof text === 'string' ? (out + err).includes(text) : text.test(out + err);
      return new Promise<void>((resolve, reject) => {
        if (seen()) return resolve();
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(`timed out waiting for ${String(text)}; output so far:\n${out}\n${err}`),
          );
        }, timeoutMs);
        const check = () => {
          if (seen()) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve();
          }
        };
        waiters.add(check);
        void exited.then(() => {
          if (!seen()) {
            clearTimeout(timer);
            waiters.delete(check);
            reject(new Error(`the CLI exited before printing ${String(text)}:\n${out}\n${err}`));
          }
        });
      });
    },
  };
}

/** Run the CLI to completion. */
export async function runCliToEnd(args: string[], env: Record<string, string>, stdin?: string) {
  const run = startCli(args, env, stdin);
  const code = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

/**
 * Start `cloud-connect <args>` inside lab host `host` as a tracked lab process; `prefix` is a
 * command that runs it (e.g. setpriv as another user), which must exec it in place.
 */
export function spawnLabCli(
  lab: NetLab,
  host: string,
  args: string[],
  options: { label: string; env: Record<string, string>; prefix?: string[] },
): LabProcess {
  const [cmd, ...rest] = [
    ...(options.prefix ?? []),
    process.execPath,
    ...TSX_NODE_ARGS,
    entry,
    ...args,
  ] as [string, ...string[]];
  return lab.spawn(host, cmd, rest, { cwd: REPO_ROOT, label: options.label, env: options.env });
}

/** Run `cloud-connect <args>` inside lab host `host` to completion. */
export function execLabCli(lab: NetLab, host: string, args: string[], options: ExecOptions) {
  return lab.exec(host, process.execPath, [...TSX_NODE_ARGS, entry, ...args], {
    cwd: REPO_ROOT,
    ...options,
  });
}

/** `connect` arguments for the lab's test app on port 8080, named "Home app". */
export const CONNECT_HOME_APP = ['--target', 'http://localhost:8080', '--name', 'Home app'];
