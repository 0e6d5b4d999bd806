import type { ReactNode } from 'react';
import { useEffect, useId, useRef, useState } from 'react';
import type { ButtonProps } from './Button.js';
import { Button } from './Button.js';

export interface ConfirmButtonProps {
  /** The button that asks first: "Remove", "Delete"… */
  label: string;
  variant?: ButtonProps['variant'];
  /** The dialog's question. */
  title: string;
  /** What happens if the user confirms. */
  children: ReactNode;
  confirmLabel: string;
  /** The action; the dialog closes when it settles. */
  onConfirm: () => Promise<unknown>;
  /** The action's request is under way. */
  busy?: boolean;
}

/**
 * A button that asks before a destructive action: a modal question with Cancel and a confirm
 * button, on the native <dialog> (focus is kept inside, Escape cancels, the page behind is inert).
 */
export function ConfirmButton({
  label,
  variant = 'danger',
  title,
  children,
  confirmLabel,
  onConfirm,
  busy = false,
}: ConfirmButtonProps) {
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);

  async function handleConfirm() {
    await onConfirm();
    setOpen(false);
  }

  return (
    <>
      <Button variant={variant} busy={busy} onClick={() => setOpen(true)}>
        {label}
      </Button>
      <dialog
        ref={ref}
        className="dialog"
        aria-labelledby={titleId}
        onCancel={(event) => {
          event.preventDefault();
          if (!busy) setOpen(false);
        }}
      >
        <h2 id={titleId}>{title}</h2>
        <div className="dialog-body">{children}</div>
        <div className="actions">
          <Button onClick={() => setOpen(false)} disabled={busy}>
            Cancel
          </Button>
          <Button variant="danger" busy={busy} onClick={() => void handleConfirm()}>
            {confirmLabel}
          </Button>
        </div>
      </dialog>
    </>
  );
}
