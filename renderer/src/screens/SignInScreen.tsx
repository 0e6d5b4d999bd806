import { AuthCard } from '../components/AuthCard.js';
import { EmailField } from '../components/EmailField.js';
import { Field } from '../components/Field.js';
import { Form } from '../components/Form.js';
import { RouteLink } from '../components/RouteLink.js';
import { SubmitRow } from '../components/SubmitRow.js';
import { useFormValues } from '../components/useFormValues.js';
import { useAppStore, useRequest } from '../store/StoreProvider.js';

/** Sign in with email and password. */
export function SignInScreen() {
  const signIn = useAppStore((s) => s.signIn);
  const request = useRequest('signIn');
  const relayUrl = useAppStore((s) => s.session?.relayUrl);
  const pendingEmail = useAppStore((s) => s.pendingEmail);
  const form = useFormValues({ email: pendingEmail ?? '', password: '' }, request.error?.fields);

  return (
    <AuthCard
      title="Sign in"
      intro={<p>Put the apps on this computer online under your own address.</p>}
      footer={
        <>
          <p>
            New to Cloud Connect? <RouteLink to={{ name: 'signUp' }}>Create an account</RouteLink>
          </p>
          <p>
            Got a verification email?{' '}
            <RouteLink to={{ name: 'verifyEmail' }}>Verify email</RouteLink>
          </p>
          <p className="muted">
            Relay server: {relayUrl ?? '…'}{' '}
            <RouteLink to={{ name: 'settings' }}>Change relay server</RouteLink>
          </p>
        </>
      }
    >
      <Form onSubmit={() => signIn(form.values.email, form.values.password)}>
        <EmailField {...form.text('email')} />
        <Field
          label="Password"
          type="password"
          autoComplete="current-password"
          required
          {...form.text('password')}
        />
        <SubmitRow label="Sign in" request={request}>
          <RouteLink to={{ name: 'forgotPassword' }}>Forgot password?</RouteLink>
        </SubmitRow>
      </Form>
    </AuthCard>
  );
}
