import type { FormEvent } from 'react';
import { useState } from 'react';
import { AuthCard } from '../components/AuthCard.js';
import { Button } from '../components/Button.js';
import { EmailField } from '../components/EmailField.js';
import { Field } from '../components/Field.js';
import { SubmitRow } from '../components/SubmitRow.js';
import { IDLE } from '../store/requests.js';
import { useAppStore } from '../store/StoreProvider.js';

/** Sign in with email and password. */
export function SignInScreen() {
  const signIn = useAppStore((s) => s.signIn);
  const navigate = useAppStore((s) => s.navigate);
  const request = useAppStore((s) => s.requests.signIn ?? IDLE);
  const relayUrl = useAppStore((s) => s.session?.relayUrl);
  const pendingEmail = useAppStore((s) => s.pendingEmail);
  const [email, setEmail] = useState(pendingEmail ?? '');
  const [password, setPassword] = useState('');

  function handleSubmit(event: FormEvent) {
    event.preventDefault();
    void signIn(email, password);
  }

  const fields = request.error?.fields ?? {};
  return (
    <AuthCard
      title="Sign in"
      intro={<p>Put the apps on this computer online under your own address.</p>}
      footer={
        <>
          <p>
            New to Cloud Connect?{' '}
            <Button variant="link" onClick={() => navigate({ name: 'signUp' })}>
              Create an account
            </Button>
          </p>
          <p>
            Got a verification email?{' '}
            <Button variant="link" onClick={() => navigate({ name: 'verifyEmail' })}>
              Verify email
            </Button>
          </p>
          <p className="muted">
            Relay server: {relayUrl ?? '…'}{' '}
            <Button variant="link" onClick={() => navigate({ name: 'settings' })}>
              Change relay server
            </Button>
          </p>
        </>
      }
    >
      <form onSubmit={handleSubmit} noValidate className="form">
        <EmailField value={email} onChange={setEmail} error={fields.email} />
        <Field
          label="Password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={fields.password}
        />
        <SubmitRow label="Sign in" busy={request.pending} error={request.error}>
          <Button variant="link" onClick={() => navigate({ name: 'forgotPassword' })}>
            Forgot password?
          </Button>
        </SubmitRow>
      </form>
    </AuthCard>
  );
}
