import type { ReactNode } from 'react';
import type { RequestState } from '../store/requests.js';
import { ErrorMessage } from './ErrorMessage.js';

/**
 * A screen's list of cards (connections, instances, domains) with what its loading request
 * says: its error, a spinner while the first load runs, and `empty` once loaded with none.
 */
export function CardList<T>({
  label,
  items,
  keyOf,
  request,
  loaded,
  loading,
  empty,
  children,
}: {
  /** The list's accessible name. */
  label: string;
  items: readonly T[];
  keyOf: (item: T) => string;
  request: RequestState;
  /** Whether the items came from a load (not just the empty start). */
  loaded: boolean;
  /** What the spinner says while loading. */
  loading: string;
  empty?: ReactNode;
  children: (item: T) => ReactNode;
}) {
  return (
    <>
      <ErrorMessage error={request.error} />
      {!loaded && request.pending && (
        <p role="status">
          <span className="spinner" aria-hidden="true" /> {loading}
        </p>
      )}
      {loaded && items.length === 0 && empty}
      <ul className="card-list" aria-label={label}>
        {items.map((item) => (
          <li key={keyOf(item)}>{children(item)}</li>
        ))}
      </ul>
    </>
  );
}
