import type { ReactNode } from 'react';
import type { FriendlyError } from '../store/friendlyError.js';
import type { ButtonProps } from './Button.js';
import { Button } from './Button.js';
import { ErrorMessage } from './ErrorMessage.js';

/** The end of a form: the request's error (announced), its submit button and any further buttons. */
export function SubmitRow({
  label,
  busy,
  error,
  variant = 'primary',
  children,
}: {
  label: string;
  busy: boolean;
  error: FriendlyError | null;
  variant?: ButtonProps['variant'];
  children?: ReactNode;
}) {
  return (
    <>
      <ErrorMessage error={error} />
      <div className="actions">
        <Button type="submit" variant={variant} busy={busy}>
          {label}
        </Button>
        {children}
      </div>
    </>
  );
}
