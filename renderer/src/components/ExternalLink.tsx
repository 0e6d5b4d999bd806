import type { ReactNode } from 'react';
import { useAppStore } from '../store/StoreProvider.js';

/** A link that opens in the system browser (through the host), never inside the app window. */
export function ExternalLink({ href, children }: { href: string; children: ReactNode }) {
  const openExternal = useAppStore((s) => s.openExternal);
  return (
    <a
      href={href}
      target="_blank"
      rel="noopener noreferrer"
      onClick={(event) => {
        event.preventDefault();
        void openExternal(href);
      }}
    >
      {children}
    </a>
  );
}
