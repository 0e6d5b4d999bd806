import type { Result } from '../desktop/desktopApi.js';
import type { LogBook } from './logBook.js';
import { attempt } from './results.js';

/** Runs one Manager operation: its value, or its failure as a value (never a throw). */
export type RunOperation = <T>(fn: () => Promise<T>) => Promise<Result<T>>;

/** A RunOperation that logs anything unexpected (a bug, not a coded failure) to `logs`. */
export function operationRunner(logs: LogBook): RunOperation {
  const unexpected = (cause: unknown) =>
    logs.add(
      'error',
      `Unexpected error: ${cause instanceof Error ? cause.message : String(cause)}`,
    );
  return (fn) => attempt(fn, unexpected);
}
