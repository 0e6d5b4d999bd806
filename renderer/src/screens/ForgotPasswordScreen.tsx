import type { FormEvent } from 'react';
import { useState } from 'react';
import { AuthCard } from '../components/AuthCard.js';
import { Button } from '../components/Button.js';
import { EmailField } from '../components/EmailField.js';
import { SubmitRow } from '../components/SubmitRow.js';
import { IDLE } from '../store/requests.js';
import { useAppStore } from '../store/StoreProvider.js';

/** Ask for a password reset link. */
export function ForgotPasswordScreen() {
  const forgotPassword = useAppStore((s) => s.forgotPassword);
  const navigate = useAppStore((s) => s.navigate);
  const request = useAppStore((s) => s.requests.forgotPassword ?? IDLE);
  const [email, setEmail] = useState('');

  function handleSubmit(event: FormEvent) {
    event.preventDefault();
    void forgotPassword(email);
  }

  return (
    <AuthCard
      title="Forgot your password?"
      intro={<p>Enter your account’s email and we will send a link to choose a new password.</p>}
      footer={
        <p>
          <Button variant="link" onClick={() => navigate({ name: 'signIn' })}>
            Back to sign in
          </Button>{' '}
          ·{' '}
          <Button variant="link" onClick={() => navigate({ name: 'resetPassword' })}>
            I already have a reset link
          </Button>
        </p>
      }
    >
      <form onSubmit={handleSubmit} noValidate className="form">
        <EmailField value={email} onChange={setEmail} error={request.error?.fields.email} />
        <SubmitRow label="Send reset link" busy={request.pending} error={request.error} />
      </form>
    </AuthCard>
  );
}
