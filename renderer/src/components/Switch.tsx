import type { ReactNode } from 'react';
import { BoxControl } from './LabelledControl.js';

export interface SwitchProps {
  label: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
  hint?: ReactNode;
  disabled?: boolean;
  busy?: boolean;
}

/** An on/off control: a checkbox with role="switch" and a real label. */
export function Switch({ onChange, disabled, busy, ...props }: SwitchProps) {
  return (
    <BoxControl
      {...props}
      wrapperClass="switch-field"
      type="checkbox"
      role="switch"
      className="switch"
      disabled={disabled || busy}
      aria-busy={busy || undefined}
      onChange={(event) => onChange(event.target.checked)}
    />
  );
}
