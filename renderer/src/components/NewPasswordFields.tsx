import { Field } from './Field.js';
import type { TextBinding } from './useFormValues.js';

export interface NewPasswordFieldsProps {
  /** "Password" on sign-up, "New password" on reset; the second field is "Confirm <label>". */
  label: string;
  password: TextBinding;
  confirmation: TextBinding;
}

/** A new password typed twice, with the rule shown and the API's field errors under each. */
export function NewPasswordFields({ label, password, confirmation }: NewPasswordFieldsProps) {
  return (
    <>
      <Field
        label={label}
        type="password"
        autoComplete="new-password"
        required
        minLength={8}
        hint="At least 8 characters."
        {...password}
      />
      <Field
        label={`Confirm ${label.toLowerCase()}`}
        type="password"
        autoComplete="new-password"
        required
        {...confirmation}
      />
    </>
  );
}
