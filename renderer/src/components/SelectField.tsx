import type { ReactNode, SelectHTMLAttributes } from 'react';
import { LabelledControl } from './LabelledControl.js';

export interface SelectFieldProps extends Omit<SelectHTMLAttributes<HTMLSelectElement>, 'id'> {
  label: string;
  hint?: ReactNode;
  error?: string | undefined;
  children: ReactNode;
}

/** A labelled <select> with hint and error, like Field. */
export function SelectField({ label, hint, error, children, ...select }: SelectFieldProps) {
  return (
    <LabelledControl
      className="field"
      label={label}
      hint={hint}
      error={error}
      control={(attributes) => (
        <select {...select} {...attributes}>
          {children}
        </select>
      )}
    />
  );
}
