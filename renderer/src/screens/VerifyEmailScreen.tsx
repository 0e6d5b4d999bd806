import type { FormEvent } from 'react';
import { useState } from 'react';
import { AuthCard } from '../components/AuthCard.js';
import { Button } from '../components/Button.js';
import { EmailField } from '../components/EmailField.js';
import { Field } from '../components/Field.js';
import { SubmitRow } from '../components/SubmitRow.js';
import { IDLE } from '../store/requests.js';
import { useAppStore } from '../store/StoreProvider.js';

/** Paste the link (or code) from the verification email; ask for a new one. */
export function VerifyEmailScreen() {
  const verifyEmail = useAppStore((s) => s.verifyEmail);
  const resendVerification = useAppStore((s) => s.resendVerification);
  const navigate = useAppStore((s) => s.navigate);
  const signedIn = useAppStore((s) => s.session?.signedIn ?? false);
  const sessionEmail = useAppStore((s) => s.session?.user?.email);
  const pendingEmail = useAppStore((s) => s.pendingEmail);
  const verifying = useAppStore((s) => s.requests.verifyEmail ?? IDLE);
  const resending = useAppStore((s) => s.requests.resendVerification ?? IDLE);
  const [token, setToken] = useState('');
  const [email, setEmail] = useState(pendingEmail ?? sessionEmail ?? '');

  function handleVerify(event: FormEvent) {
    event.preventDefault();
    void verifyEmail(token);
  }

  function handleResend(event: FormEvent) {
    event.preventDefault();
    void resendVerification(email);
  }

  return (
    <AuthCard
      title="Verify your email"
      intro={
        <p>
          We sent a link to {pendingEmail ?? sessionEmail ?? 'your email address'}. Open it, or copy
          the whole link (or just the code in it) and paste it here.
        </p>
      }
      footer={
        <p>
          <Button
            variant="link"
            onClick={() => navigate(signedIn ? { name: 'instances' } : { name: 'signIn' })}
          >
            {signedIn ? 'Back to the app' : 'Back to sign in'}
          </Button>
        </p>
      }
    >
      <form onSubmit={handleVerify} noValidate className="form">
        <Field
          label="Verification link or code"
          autoComplete="off"
          spellCheck={false}
          required
          value={token}
          onChange={(e) => setToken(e.target.value)}
          error={verifying.error?.fields.token}
        />
        <SubmitRow label="Verify email" busy={verifying.pending} error={verifying.error} />
      </form>

      <form onSubmit={handleResend} noValidate className="form form-secondary">
        <h2 className="section-title">No email?</h2>
        <p className="muted">Check your spam folder, or ask for a new link.</p>
        <EmailField value={email} onChange={setEmail} error={resending.error?.fields.email} />
        <SubmitRow
          label="Resend verification email"
          variant="secondary"
          busy={resending.pending}
          error={resending.error}
        />
      </form>
    </AuthCard>
  );
}
