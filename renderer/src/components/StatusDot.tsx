/** The colour of a state: ok (connected), busy (connecting), error, off. */
export type StatusTone = 'ok' | 'busy' | 'error' | 'off';

/**
 * A coloured dot beside a state's words. Decorative: the words carry the meaning, so colour is
 * never the only signal.
 */
export function StatusDot({ tone }: { tone: StatusTone }) {
  return <span className={`status-dot status-dot-${tone}`} aria-hidden="true" />;
}
