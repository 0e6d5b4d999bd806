import { StringDecoder } from 'node:string_decoder';

/**
 * wireguard-go's own output, read line by line. It prints a boxed banner on stderr when the
 * kernel has WireGuard built in ("Running wireguard-go is not required…"; older builds a
 * "WARNING WARNING … This is alpha software" box). That is advice for people at a terminal, not
 * a problem with the tunnel: the agent and the relay log it at debug and keep warnings for the
 * lines that are real errors.
 */

/** Lines of the known banners, matched after the box drawing around them is stripped. */
const BANNER_TEXT = [
  /^Running wireguard-go is not required because this$/,
  /^kernel has first class support for WireGuard\. For$/,
  /^information on installing the kernel module,$/,
  /^please visit:$/,
  /^https:\/\/www\.wireguard\.com\/install\/?$/,
  // The banner of older builds (before 2020).
  /^(WARNING ?)+$/,
  /^This is alpha software\. It will very likely not$/,
  /^do what it is supposed to do, and things may go$/,
  /^horribly wrong\. You have been warned\. Proceed$/,
  /^at your own risk\.$/,
];

/** The box: the Unicode frame of today's banner… */
const FRAME = /^[\s│┌└─┐┘]+|[\s│┌└─┐┘]+$/g;
/** …and the W…G columns of the old one. */
const OLD_FRAME_LEFT = /^W(?:\s+|$)/;
const OLD_FRAME_RIGHT = /(?:^|\s+)G$/;

/** Whether `line` is part of wireguard-go's start-up banner (an empty frame line included). */
export function isWireGuardGoBanner(line: string): boolean {
  const text = line.replace(FRAME, '').replace(OLD_FRAME_LEFT, '').replace(OLD_FRAME_RIGHT, '');
  if (text === '') return true;
  return BANNER_TEXT.some((re) => re.test(text));
}

/** The level a line of wireguard-go output is logged at: the banner is debug, the rest as given. */
export function wireGuardGoLineLevel<L extends string>(line: string, otherwise: L): L | 'debug' {
  return isWireGuardGoBanner(line) ? 'debug' : otherwise;
}

/**
 * Turn a stream's chunks into whole lines: a chunk can end in the middle of a line, and a
 * fragment classified on its own ("ing wireguard-go is not req") would escape the banner filter.
 * `push` returns the lines completed by this chunk; `flush` the last unterminated one.
 */
export function createLineSplitter(): {
  push(chunk: Buffer | string): string[];
  flush(): string[];
} {
  // The banner's box characters are three bytes each: a chunk may end inside one.
  const decoder = new StringDecoder('utf8');
  let pending = '';
  return {
    push(chunk) {
      pending += typeof chunk === 'string' ? chunk : decoder.write(chunk);
      const parts = pending.split(/\r?\n/);
      pending = parts.pop() ?? '';
      return parts;
    },
    flush() {
      const rest = pending + decoder.end();
      pending = '';
      return rest ? [rest] : [];
    },
  };
}
