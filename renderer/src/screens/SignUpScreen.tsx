import { AuthCard } from '../components/AuthCard.js';
import { Checkbox } from '../components/Checkbox.js';
import { EmailField } from '../components/EmailField.js';
import { Field } from '../components/Field.js';
import { Form } from '../components/Form.js';
import { NewPasswordFields } from '../components/NewPasswordFields.js';
import { RouteLink } from '../components/RouteLink.js';
import { SubmitRow } from '../components/SubmitRow.js';
import { useFormValues } from '../components/useFormValues.js';
import { useAppStore, useRequest } from '../store/StoreProvider.js';

/** Create an account; a verification link is mailed. */
export function SignUpScreen() {
  const signUp = useAppStore((s) => s.signUp);
  const request = useRequest('signUp');
  // Named as the sign-up request's fields, so the form is the request and its errors fit.
  const form = useFormValues(
    {
      name: '',
      email: '',
      password: '',
      password_confirmation: '',
      accept_terms: false,
      accept_privacy: false,
      accept_marketing: false,
    },
    request.error?.fields,
  );

  return (
    <AuthCard
      title="Create your account"
      footer={
        <p>
          Already have an account? <RouteLink to={{ name: 'signIn' }}>Sign in instead</RouteLink>
        </p>
      }
    >
      <Form onSubmit={() => signUp(form.values)}>
        <Field label="Name" autoComplete="name" required {...form.text('name')} />
        <EmailField {...form.text('email')} />
        <NewPasswordFields
          label="Password"
          password={form.text('password')}
          confirmation={form.text('password_confirmation')}
        />
        <Checkbox label="I accept the terms of service" {...form.flag('accept_terms')} />
        <Checkbox label="I accept the privacy policy" {...form.flag('accept_privacy')} />
        <Checkbox
          label="Send me occasional product news (optional)"
          {...form.flag('accept_marketing')}
        />
        <SubmitRow label="Create account" request={request} />
      </Form>
    </AuthCard>
  );
}
