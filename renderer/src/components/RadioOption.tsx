import type { ReactNode } from 'react';
import { BoxControl } from './LabelledControl.js';

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
export function RadioOption(props: RadioOptionProps) {
  return <BoxControl {...props} wrapperClass="choice-option" type="radio" />;
}
