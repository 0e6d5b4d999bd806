import { Field } from './Field.js';
import type { TextBinding } from './useFormValues.js';

/** Where the link from an account email (or just the code in it) is pasted. */
export function LinkOrCodeField({ label, ...binding }: TextBinding & { label: string }) {
  return <Field label={label} verbatim required {...binding} />;
}
