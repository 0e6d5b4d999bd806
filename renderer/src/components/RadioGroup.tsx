import type { ReactNode } from 'react';
import { useId } from 'react';
import { RadioOption } from './RadioOption.js';

export interface RadioChoice<T extends string> {
  value: T;
  label: string;
  hint?: string;
  disabled?: boolean;
}

/** A `.choice` fieldset: one radio button per choice, the checked one `value`. */
export function RadioGroup<T extends string>({
  legend,
  choices,
  value,
  onChange,
  className = 'choice',
  disabled,
  children,
}: {
  legend: string;
  choices: ReadonlyArray<RadioChoice<T>>;
  value: T;
  onChange: (value: T) => void;
  /** `choice choice-row` lays the choices out side by side. */
  className?: string;
  disabled?: boolean;
  /** Notes after the choices (what a disabled choice needs…). */
  children?: ReactNode;
}) {
  const name = useId();
  return (
    <fieldset className={className} disabled={disabled}>
      <legend>{legend}</legend>
      {choices.map((choice) => (
        <RadioOption
          key={choice.value}
          name={name}
          label={choice.label}
          hint={choice.hint}
          disabled={choice.disabled}
          checked={value === choice.value}
          onChange={() => onChange(choice.value)}
        />
      ))}
      {children}
    </fieldset>
  );
}
