import { expect } from 'vitest';
import { StoreConflictError } from '../../store/types.js';

/** Resolves to the error a promise rejected with (fails the test if it resolved). */
export async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/** The call fails with a StoreConflictError naming `field`. */
export async function expectConflict(p: Promise<unknown>, field: string): Promise<void> {
  const e = await rejection(p);
  expect(e).toBeInstanceOf(StoreConflictError);
  expect((e as StoreConflictError).field).toBe(field);
}
