/**
 * Runs async work one at a time per key (the Manager's connection ids, the secret store's file
 * paths): a call waits for the calls before it with the same key, calls with other keys run at
 * once. A key's entry is dropped when its last call ends, so the map holds only keys with work
 * queued. Hand-written rather than `async-mutex`, which has no keyed lock: a promise chain per
 * key is all it takes.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  /** Run `fn` once every earlier call with this key has settled; resolves or rejects as `fn` does. */
  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.tails.get(key) ?? Promise.resolve();
    const result = before.then(fn, fn);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Keys with work running or queued now. */
  get busyKeys(): string[] {
    return [...this.tails.keys()];
  }
}
