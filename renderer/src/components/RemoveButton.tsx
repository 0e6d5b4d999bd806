import type { ReactNode } from 'react';
import { ConfirmButton } from './ConfirmButton.js';

/** "Remove", asking first: "Remove <name>?" with "Remove <what>" to confirm. */
export function RemoveButton({
  name,
  what,
  busy,
  onConfirm,
  children,
}: {
  /** The item's name, in the question. */
  name: string;
  /** The kind of item, on the confirm button: "connection", "domain". */
  what: string;
  busy: boolean;
  onConfirm: () => Promise<unknown>;
  /** What removing does. */
  children: ReactNode;
}) {
  return (
    <ConfirmButton
      label="Remove"
      title={`Remove ${name}?`}
      confirmLabel={`Remove ${what}`}
      busy={busy}
      onConfirm={onConfirm}
    >
      {children}
    </ConfirmButton>
  );
}
