import type { ReactNode } from 'react';
import { useId } from 'react';

/** A titled part of a screen (a region named by its heading). */
export function Panel({
  title,
  className,
  children,
}: {
  title: ReactNode;
  /** Further classes: `panel-success`, `token-panel`… */
  className?: string;
  children: ReactNode;
}) {
  const titleId = useId();
  return (
    <section className={className ? `panel ${className}` : 'panel'} aria-labelledby={titleId}>
      <h2 id={titleId}>{title}</h2>
      {children}
    </section>
  );
}
