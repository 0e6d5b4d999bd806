import { afterAll } from 'vitest';
import { Teardown } from './teardown.js';

/** A Teardown that closes what the calling suite opened in an `afterAll` hook, newest first. */
export function teardownAfterAll(timeoutMs = 60_000): Teardown {
  const teardown = new Teardown();
  afterAll(() => teardown.run(), timeoutMs);
  return teardown;
}
