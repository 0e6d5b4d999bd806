import type { InputHTMLAttributes, ReactNode } from 'react';
import { LabelledControl } from './LabelledControl.js';

export interface FieldProps extends Omit<InputHTMLAttributes<HTMLInputElement>, 'id'> {
  label: string;
  /** A short help text under the input. */
  hint?: ReactNode;
  /** What is wrong with the value, shown under the input and announced with it. */
  error?: string | undefined;
  /** Content after the input inside the field (e.g. a live check or suggestions). */
  children?: ReactNode;
  /** Machine text (a token, a code, a domain, an address): no autocomplete, no spell check. */
  verbatim?: boolean;
}

/** A labelled input with its hint and error tied to it for assistive technology. */
export function Field({
  label,
  hint,
  error,
  children,
  className,
  verbatim = false,
  ...input
}: FieldProps) {
  const verbatimInput = verbatim ? { autoComplete: 'off', spellCheck: false } : {};
  return (
    <LabelledControl
      className={className ? `field ${className}` : 'field'}
      label={label}
      hint={hint}
      error={error}
      control={(attributes) => <input {...verbatimInput} {...input} {...attributes} />}
    >
      {children}
    </LabelledControl>
  );
}
