import { AuthCard } from '../components/AuthCard.js';
import { EmailField } from '../components/EmailField.js';
import { Form } from '../components/Form.js';
import { LinkOrCodeField } from '../components/LinkOrCodeField.js';
import { RouteLink } from '../components/RouteLink.js';
import { SubmitRow } from '../components/SubmitRow.js';
import { useFormValues } from '../components/useFormValues.js';
import { offersLocalVerification } from '../store/sessionSlice.js';
import { useAppStore, useRequest } from '../store/StoreProvider.js';

/**
 * A trial on one machine (`npm start`): the local relay keeps its mail in an outbox instead of
 * sending it, and the app opens the newest verification mail there for the user.
 */
function LocalVerification({ email }: { email: string }) {
  const verifyEmailLocally = useAppStore((s) => s.verifyEmailLocally);
  const request = useRequest('verifyEmailLocally');
  return (
    <Form onSubmit={() => verifyEmailLocally(email)}>
      <h2 className="section-title">Trying it on this machine?</h2>
      <p className="muted">
        The local relay keeps its mail in its outbox instead of sending it. Cloud Connect can open
        the newest verification mail to {email} there and follow its link for you.
      </p>
      <SubmitRow label="Verify with the local relay’s mail" request={request} />
    </Form>
  );
}

/**
 * Paste the link (or code) from the verification email, or on the local relay `npm start` runs
 * verify in one click; ask for a new one.
 */
export function VerifyEmailScreen() {
  const verifyEmail = useAppStore((s) => s.verifyEmail);
  const resendVerification = useAppStore((s) => s.resendVerification);
  const signedIn = useAppStore((s) => s.session?.signedIn ?? false);
  const sessionEmail = useAppStore((s) => s.session?.user?.email);
  const pendingEmail = useAppStore((s) => s.pendingEmail);
  const local = useAppStore(offersLocalVerification);
  /** The address one click verifies, when the local relay offers it and the address is known. */
  const oneClick = (local && (pendingEmail ?? sessionEmail)) || null;
  const verifying = useRequest('verifyEmail');
  const resending = useRequest('resendVerification');
  const verifyForm = useFormValues({ token: '' }, verifying.error?.fields);
  const resendForm = useFormValues(
    { email: pendingEmail ?? sessionEmail ?? '' },
    resending.error?.fields,
  );

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
          <RouteLink to={signedIn ? { name: 'instances' } : { name: 'signIn' }}>
            {signedIn ? 'Back to the app' : 'Back to sign in'}
          </RouteLink>
        </p>
      }
    >
      {oneClick && <LocalVerification email={oneClick} />}
      <Form
        onSubmit={() => verifyEmail(verifyForm.values.token)}
        // Below the one-click form, pasting a link is the other way, set apart as such.
        className={oneClick ? 'form form-secondary' : 'form'}
      >
        <LinkOrCodeField label="Verification link or code" {...verifyForm.text('token')} />
        <SubmitRow label="Verify email" request={verifying} />
      </Form>

      <Form
        onSubmit={() => resendVerification(resendForm.values.email)}
        className="form form-secondary"
      >
        <h2 className="section-title">No email?</h2>
        <p className="muted">Check your spam folder, or ask for a new link.</p>
        <EmailField {...resendForm.text('email')} />
        <SubmitRow label="Resend verification email" variant="secondary" request={resending} />
      </Form>
    </AuthCard>
  );
}
