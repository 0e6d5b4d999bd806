import type { ReactNode } from 'react';
import { useId } from 'react';
import type { StatusView } from '../store/statusSelectors.js';
import { PublicAddress } from './PublicAddress.js';
import { StatusDot } from './StatusDot.js';

/**
 * One item of a card list (a connection, an instance, a domain): an article named by its heading,
 * with the item's state beside the heading, then its facts and controls.
 */
export function ItemCard({
  title,
  subtitle,
  state,
  children,
}: {
  title: ReactNode;
  /** A line under the heading. */
  subtitle?: ReactNode;
  state: ReactNode;
  children: ReactNode;
}) {
  const titleId = useId();
  const heading = <h2 id={titleId}>{title}</h2>;
  return (
    <article className="card" aria-labelledby={titleId}>
      <header className="card-header">
        {subtitle ? (
          <div>
            {heading}
            {subtitle}
          </div>
        ) : (
          heading
        )}
        {state}
      </header>
      {children}
    </article>
  );
}

/** A live state in words with its dot and, when there is one, the note under it. */
export function StatusSummary({
  view,
  className = 'state',
  live = false,
}: {
  view: StatusView;
  className?: string;
  /** Announce changes politely (a state the host pushes while the user reads). */
  live?: boolean;
}) {
  return (
    <div>
      <p className={className} role="status" aria-live={live ? 'polite' : undefined}>
        <StatusDot tone={view.tone} /> {view.words}
      </p>
      {view.note && <p className="muted status-note">{view.note}</p>}
    </div>
  );
}

/** The "Public address" fact of a card: the address with its buttons, or what stands instead. */
export function PublicAddressFact({
  url,
  otherwise,
}: {
  url: string | null;
  otherwise: ReactNode;
}) {
  return (
    <>
      <dt>Public address</dt>
      <dd>{url ? <PublicAddress url={url} /> : otherwise}</dd>
    </>
  );
}
