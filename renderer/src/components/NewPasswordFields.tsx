import { Field } from './Field.js';

export interface NewPasswordFieldsProps {
  /** "Password" on sign-up, "New password" on reset; the second field is "Confirm <label>". */
  label: string;
  password: string;
  confirmation: string;
  onPassword(value: string): void;
  onConfirmation(value: string): void;
  /** Field errors from the API (`password`, `password_confirmation`). */
  fields: Record<string, string>;
}

/** A new password typed twice, with the rule shown and the API's field errors under each. */
export function NewPasswordFields({
  label,
  password,
  confirmation,
  onPassword,
  onConfirmation,
  fields,
}: NewPasswordFieldsProps) {
  return (
    <>
      <Field
        label={label}
        type="password"
        autoComplete="new-password"
        required
        minLength={8}
        hint="At least 8 characters."
        value={password}
        onChange={(e) => onPassword(e.target.value)}
        error={fields.password}
      />
      <Field
        label={`Confirm ${label.toLowerCase()}`}
        type="password"
        autoComplete="new-password"
        required
        value={confirmation}
        onChange={(e) => onConfirmation(e.target.value)}
        error={fields.password_confirmation}
      />
    </>
  );
}
