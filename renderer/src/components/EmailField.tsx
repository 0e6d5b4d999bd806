import { Field } from './Field.js';
import type { TextBinding } from './useFormValues.js';

/** The account's email address, asked the same way by every signed-out form. */
export function EmailField(binding: TextBinding) {
  return <Field label="Email" type="email" autoComplete="email" required {...binding} />;
}
