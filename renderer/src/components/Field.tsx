import type { InputHTMLAttributes, ReactNode } from 'react';
import { useId } from 'react';

export interface FieldProps extends Omit<InputHTMLAttributes<HTMLInputElement>, 'id'> {
  label: string;
  /** A short help text under the input. */
  hint?: ReactNode;
  /** What is wrong with the value, shown under the input and announced with it. */
  error?: string | undefined;
  /** Content after the input inside the field (e.g. a live check or suggestions). */
  children?: ReactNode;
}

/** A labelled input with its hint and error tied to it for assistive technology. */
export function Field({ label, hint, error, children, className, ...input }: FieldProps) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const describedBy = [errorId, hintId].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${error ? ' field-invalid' : ''}${className ? ` ${className}` : ''}`}>
      <label htmlFor={id}>{label}</label>
      <input
        {...input}
        id={id}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy}
      />
      {error && (
        <p id={errorId} className="field-error">
          {error}
        </p>
      )}
      {hint && (
        <p id={hintId} className="field-hint">
          {hint}
        </p>
      )}
      {children}
    </div>
  );
}
