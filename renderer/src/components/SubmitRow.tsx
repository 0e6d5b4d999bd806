import type { ReactNode } from 'react';
import type { RequestState } from '../store/requests.js';
import type { ButtonProps } from './Button.js';
import { Button } from './Button.js';
import { ErrorMessage } from './ErrorMessage.js';

/**
 * The end of a form: the request's error (announced), its submit button and any further buttons.
 * `showError={false}` where the form shows the error elsewhere.
 */
export function SubmitRow({
  label,
  request,
  variant = 'primary',
  showError = true,
  disabled,
  children,
}: {
  label: string;
  request: RequestState;
  variant?: ButtonProps['variant'];
  showError?: boolean;
  disabled?: boolean;
  children?: ReactNode;
}) {
  return (
    <>
      {showError && <ErrorMessage error={request.error} />}
      <div className="actions">
        <Button type="submit" variant={variant} busy={request.pending} disabled={disabled}>
          {label}
        </Button>
        {children}
      </div>
    </>
  );
}
