import { BoxControl } from './LabelledControl.js';

export interface CheckboxProps {
  label: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
  error?: string | undefined;
  disabled?: boolean;
}

/** A labelled checkbox with its error tied to it. */
export function Checkbox({ onChange, ...props }: CheckboxProps) {
  return (
    <BoxControl
      {...props}
      wrapperClass="check-field"
      type="checkbox"
      onChange={(event) => onChange(event.target.checked)}
    />
  );
}
