import type { FormEvent } from 'react';
import { useState } from 'react';
import { AuthCard } from '../components/AuthCard.js';
import { Button } from '../components/Button.js';
import { Checkbox } from '../components/Checkbox.js';
import { EmailField } from '../components/EmailField.js';
import { Field } from '../components/Field.js';
import { NewPasswordFields } from '../components/NewPasswordFields.js';
import { SubmitRow } from '../components/SubmitRow.js';
import { IDLE } from '../store/requests.js';
import { useAppStore } from '../store/StoreProvider.js';

/** Create an account; a verification link is mailed. */
export function SignUpScreen() {
  const signUp = useAppStore((s) => s.signUp);
  const navigate = useAppStore((s) => s.navigate);
  const request = useAppStore((s) => s.requests.signUp ?? IDLE);
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [confirmation, setConfirmation] = useState('');
  const [terms, setTerms] = useState(false);
  const [privacy, setPrivacy] = useState(false);
  const [marketing, setMarketing] = useState(false);

  function handleSubmit(event: FormEvent) {
    event.preventDefault();
    void signUp({
      name,
      email,
      password,
      password_confirmation: confirmation,
      accept_terms: terms,
      accept_privacy: privacy,
      accept_marketing: marketing,
    });
  }

  const fields = request.error?.fields ?? {};
  return (
    <AuthCard
      title="Create your account"
      footer={
        <p>
          Already have an account?{' '}
          <Button variant="link" onClick={() => navigate({ name: 'signIn' })}>
            Sign in instead
          </Button>
        </p>
      }
    >
      <form onSubmit={handleSubmit} noValidate className="form">
        <Field
          label="Name"
          autoComplete="name"
          required
          value={name}
          onChange={(e) => setName(e.target.value)}
          error={fields.name}
        />
        <EmailField value={email} onChange={setEmail} error={fields.email} />
        <NewPasswordFields
          label="Password"
          password={password}
          confirmation={confirmation}
          onPassword={setPassword}
          onConfirmation={setConfirmation}
          fields={fields}
        />
        <Checkbox
          label="I accept the terms of service"
          checked={terms}
          onChange={setTerms}
          error={fields.accept_terms}
        />
        <Checkbox
          label="I accept the privacy policy"
          checked={privacy}
          onChange={setPrivacy}
          error={fields.accept_privacy}
        />
        <Checkbox
          label="Send me occasional product news (optional)"
          checked={marketing}
          onChange={setMarketing}
        />
        <SubmitRow label="Create account" busy={request.pending} error={request.error} />
      </form>
    </AuthCard>
  );
}
