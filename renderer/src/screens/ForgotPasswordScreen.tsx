import type { FormEvent } from 'react';
import { useState } from 'react';
import { AuthCard } from '../components/AuthCard.js';
import { Button } from '../components/Button.js';
import { ErrorMessage } from '../components/ErrorMessage.js';
import { Field } from '../components/Field.js';
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
        <Field
          label="Email"
          type="email"
          autoComplete="email"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          error={request.error?.fields.email}
        />
        <ErrorMessage error={request.error} />
        <div className="actions">
          <Button type="submit" variant="primary" busy={request.pending}>
            Send reset link
          </Button>
        </div>
      </form>
    </AuthCard>
  );
}
