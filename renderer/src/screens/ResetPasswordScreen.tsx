import type { FormEvent } from 'react';
import { useState } from 'react';
import { AuthCard } from '../components/AuthCard.js';
import { Button } from '../components/Button.js';
import { Field } from '../components/Field.js';
import { NewPasswordFields } from '../components/NewPasswordFields.js';
import { SubmitRow } from '../components/SubmitRow.js';
import { IDLE } from '../store/requests.js';
import { useAppStore } from '../store/StoreProvider.js';

/** Choose a new password with the link (or code) from the reset email. */
export function ResetPasswordScreen() {
  const resetPassword = useAppStore((s) => s.resetPassword);
  const navigate = useAppStore((s) => s.navigate);
  const request = useAppStore((s) => s.requests.resetPassword ?? IDLE);
  const [tokenOrLink, setTokenOrLink] = useState('');
  const [password, setPassword] = useState('');
  const [confirmation, setConfirmation] = useState('');

  function handleSubmit(event: FormEvent) {
    event.preventDefault();
    void resetPassword({ tokenOrLink, password, password_confirmation: confirmation });
  }

  const fields = request.error?.fields ?? {};
  return (
    <AuthCard
      title="Choose a new password"
      intro={<p>Paste the link from the reset email (or the code in it). It works for one hour.</p>}
      footer={
        <p>
          <Button variant="link" onClick={() => navigate({ name: 'signIn' })}>
            Back to sign in
          </Button>
        </p>
      }
    >
      <form onSubmit={handleSubmit} noValidate className="form">
        <Field
          label="Reset link or code"
          autoComplete="off"
          spellCheck={false}
          required
          value={tokenOrLink}
          onChange={(e) => setTokenOrLink(e.target.value)}
          error={fields.token}
        />
        <NewPasswordFields
          label="New password"
          password={password}
          confirmation={confirmation}
          onPassword={setPassword}
          onConfirmation={setConfirmation}
          fields={fields}
        />
        <SubmitRow label="Reset password" busy={request.pending} error={request.error} />
      </form>
    </AuthCard>
  );
}
