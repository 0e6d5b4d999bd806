import type { ReactNode } from 'react';
import { useEffect, useRef } from 'react';

/**
 * A screen's <h1>. It takes focus when the screen opens so keyboard and screen-reader users
 * start at the top of the new screen, as after a page load.
 */
export function ScreenTitle({ children }: { children: ReactNode }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    ref.current?.focus({ preventScroll: true });
  }, []);
  return (
    <h1 ref={ref} tabIndex={-1} className="screen-title">
      {children}
    </h1>
  );
}
