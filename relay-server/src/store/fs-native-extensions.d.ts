// fs-native-extensions ships no types; this is the part of its API the data-dir lock uses.
declare module 'fs-native-extensions' {
  /** Request an exclusive (or shared) lock on `fd` without waiting: false if another holds it. */
  export function tryLock(fd: number, options?: { shared?: boolean }): boolean;
  export function unlock(fd: number): void;
}
