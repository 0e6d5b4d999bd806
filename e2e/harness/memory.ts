import { readFileSync } from 'node:fs';

/** Resident memory of a process in bytes (VmRSS from /proc). */
export function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]) * 1024;
}

/**
 * Sample each of `pids`' RSS every 50 ms while `work` runs; resolves with the work's result and
 * each process's peak (in the order of `pids`).
 */
export async function peakRss<T>(
  pids: number[],
  work: () => Promise<T>,
): Promise<{ result: T; peaks: number[] }> {
  const peaks = pids.map(rss);
  const sample = () =>
    pids.forEach((pid, i) => {
      try {
        peaks[i] = Math.max(peaks[i] as number, rss(pid));
      } catch {
        /* process gone: the work's own result says so */
      }
    });
  const timer = setInterval(sample, 50);
  try {
    const result = await work();
    sample();
    return { result, peaks };
  } finally {
    clearInterval(timer);
  }
}
