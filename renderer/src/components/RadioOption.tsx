import type { ReactNode } from 'react';
import { useId } from 'react';

export interface RadioOptionProps {
  /** The group's name, shared by its options. */
  name: string;
  label: string;
  checked: boolean;
  onChange: () => void;
  disabled?: boolean;
  hint?: ReactNode;
}

/** One labelled radio button of a `.choice` fieldset, with an optional hint tied to it. */
export function RadioOption({ name, label, checked, onChange, disabled, hint }: RadioOptionProps) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  return (
    <div className="choice-option">
      <input
        type="radio"
        id={id}
        name={name}
        checked={checked}
        disabled={disabled}
        onChange={onChange}
        aria-describedby={hintId}
      />
      <label htmlFor={id}>{label}</label>
      {hint && (
        <p id={hintId} className="field-hint">
          {hint}
        </p>
      )}
    </div>
  );
}
