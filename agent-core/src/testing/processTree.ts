import { readdir, readFile } from 'node:fs/promises';

/** Whether a process with this pid exists (and is not a zombie awaiting its parent). */
export async function isProcessAlive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Field 3 (after the parenthesised command) is the state; Z is a zombie, X dead.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

export interface ProcessInfo {
  pid: number;
  /** argv, as /proc/<pid>/cmdline holds it. */
  argv: string[];
}

/** The live child processes of `parentPid` (Linux /proc), to prove nothing was left behind. */
export async function childProcessesOf(parentPid: number): Promise<ProcessInfo[]> {
  const children: ProcessInfo[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(after[1]) !== parentPid || after[0] === 'Z') continue;
      const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8');
      children.push({ pid: Number(entry), argv: cmdline.split('\0').filter(Boolean) });
    } catch {
      // The process ended while we looked: it is not left behind.
    }
  }
  return children;
}

/** The pids of this test process's live children with an argument that `matches`. */
export async function ownChildPids(matches: (arg: string) => boolean): Promise<number[]> {
  return (await childProcessesOf(process.pid))
    .filter((p) => p.argv.some(matches))
    .map((p) => p.pid);
}

/** argv of a running process as the OS shows it to every local user. */
export async function processArgv(pid: number): Promise<string[]> {
  return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter(Boolean);
}

/** The environment of a running process (readable by its own user only). */
export async function processEnvironment(pid: number): Promise<Record<string, string>> {
  const raw = await readFile(`/proc/${pid}/environ`, 'utf8');
  const env: Record<string, string> = {};
  for (const pair of raw.split('\0')) {
    const eq = pair.indexOf('=');
    if (eq > 0) env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}

/** Every process's argv on this machine, one string per process (to prove no secret is in argv). */
export async function allProcessCmdlines(): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      out.push((await readFile(`/proc/${entry}/cmdline`, 'utf8')).replaceAll('\0', ' '));
    } catch {
      // ended meanwhile
    }
  }
  return out;
}
