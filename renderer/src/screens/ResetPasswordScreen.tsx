import { AuthCard } from '../components/AuthCard.js';
import { Form } from '../components/Form.js';
import { LinkOrCodeField } from '../components/LinkOrCodeField.js';
import { NewPasswordFields } from '../components/NewPasswordFields.js';
import { RouteLink } from '../components/RouteLink.js';
import { SubmitRow } from '../components/SubmitRow.js';
import { useFormValues } from '../components/useFormValues.js';
import { useAppStore, useRequest } from '../store/StoreProvider.js';

/** Choose a new password with the link (or code) from the reset email. */
export function ResetPasswordScreen() {
  const resetPassword = useAppStore((s) => s.resetPassword);
  const request = useRequest('resetPassword');
  const form = useFormValues(
    { token: '', password: '', password_confirmation: '' },
    request.error?.fields,
  );

  function handleSubmit() {
    const { token, ...passwords } = form.values;
    return resetPassword({ tokenOrLink: token, ...passwords });
  }

  return (
    <AuthCard
      title="Choose a new password"
      intro={<p>Paste the link from the reset email (or the code in it). It works for one hour.</p>}
      footer={
        <p>
          <RouteLink to={{ name: 'signIn' }}>Back to sign in</RouteLink>
        </p>
      }
    >
      <Form onSubmit={handleSubmit}>
        <LinkOrCodeField label="Reset link or code" {...form.text('token')} />
        <NewPasswordFields
          label="New password"
          password={form.text('password')}
          confirmation={form.text('password_confirmation')}
        />
        <SubmitRow label="Reset password" request={request} />
      </Form>
    </AuthCard>
  );
}
