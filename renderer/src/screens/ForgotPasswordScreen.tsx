import { AuthCard } from '../components/AuthCard.js';
import { EmailField } from '../components/EmailField.js';
import { Form } from '../components/Form.js';
import { RouteLink } from '../components/RouteLink.js';
import { SubmitRow } from '../components/SubmitRow.js';
import { useFormValues } from '../components/useFormValues.js';
import { useAppStore, useRequest } from '../store/StoreProvider.js';

/** Ask for a password reset link. */
export function ForgotPasswordScreen() {
  const forgotPassword = useAppStore((s) => s.forgotPassword);
  const request = useRequest('forgotPassword');
  const form = useFormValues({ email: '' }, request.error?.fields);

  return (
    <AuthCard
      title="Forgot your password?"
      intro={<p>Enter your account’s email and we will send a link to choose a new password.</p>}
      footer={
        <p>
          <RouteLink to={{ name: 'signIn' }}>Back to sign in</RouteLink> ·{' '}
          <RouteLink to={{ name: 'resetPassword' }}>I already have a reset link</RouteLink>
        </p>
      }
    >
      <Form onSubmit={() => forgotPassword(form.values.email)}>
        <EmailField {...form.text('email')} />
        <SubmitRow label="Send reset link" request={request} />
      </Form>
    </AuthCard>
  );
}
