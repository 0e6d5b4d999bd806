import type { InputHTMLAttributes, ReactNode } from 'react';
import { useId } from 'react';

/** The attributes that tie a control to its label, hint and error. */
export interface ControlAttributes {
  id: string;
  'aria-invalid': true | undefined;
  'aria-describedby': string | undefined;
}

export interface LabelledControlProps {
  /** The wrapper's class (`field`, `check-field`, `switch-field`, `choice-option`…). */
  className: string;
  label: string;
  /** A short help text under the control. */
  hint?: ReactNode;
  /** What is wrong with the value, shown under the control and announced with it. */
  error?: string | undefined;
  /** Boxes and radios sit before their label; text inputs and selects after it. */
  controlFirst?: boolean;
  /** Renders the control with the attributes that tie it to the label, hint and error. */
  control: (attributes: ControlAttributes) => ReactNode;
  /** Content after the hint inside the wrapper (e.g. a live check or suggestions). */
  children?: ReactNode;
}

/**
 * One control with its label, error and hint tied to it for assistive technology: the layout
 * every input, select, checkbox, switch and radio of the app shares.
 */
export function LabelledControl({
  className,
  label,
  hint,
  error,
  controlFirst = false,
  control,
  children,
}: LabelledControlProps) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const labelElement = <label htmlFor={id}>{label}</label>;
  const controlElement = control({
    id,
    'aria-invalid': error ? true : undefined,
    'aria-describedby': [errorId, hintId].filter(Boolean).join(' ') || undefined,
  });
  return (
    <div className={`${className}${error ? ' field-invalid' : ''}`}>
      {controlFirst ? controlElement : labelElement}
      {controlFirst ? labelElement : controlElement}
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

export interface BoxControlProps extends Omit<InputHTMLAttributes<HTMLInputElement>, 'id'> {
  /** The wrapper's class (`check-field`, `switch-field`, `choice-option`). */
  wrapperClass: string;
  label: string;
  hint?: ReactNode;
  error?: string | undefined;
}

/** A checkbox, switch or radio button: the box before its label, the hint or error under both. */
export function BoxControl({ wrapperClass, label, hint, error, ...input }: BoxControlProps) {
  return (
    <LabelledControl
      className={wrapperClass}
      label={label}
      hint={hint}
      error={error}
      controlFirst
      control={(attributes) => <input {...attributes} {...input} />}
    />
  );
}
