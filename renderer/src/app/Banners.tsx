import { Button } from '../components/Button.js';
import { formatDuration } from '../components/formatTime.js';
import { useNow } from '../components/useNow.js';
import { useAppStore } from '../store/StoreProvider.js';

/** The link to the host is down: say so, count down to the next try, offer to try now. */
export function BridgeBanner() {
  const bridge = useAppStore((s) => s.bridge);
  const reconnect = useAppStore((s) => s.reconnectBridge);
  const now = useNow(bridge.status === 'reconnecting');
  const down =
    bridge.status === 'reconnecting' || (bridge.status === 'connecting' && bridge.attempt > 0);
  return (
    <div role="status" aria-live="polite" className="banner-slot">
      {down && (
        <div className="banner banner-warning">
          <p>
            <span className="spinner" aria-hidden="true" /> Lost the connection to Cloud Connect.{' '}
            {bridge.status === 'reconnecting'
              ? `Reconnecting in ${formatDuration(Math.max(0, (bridge.retryAt - now) / 1000))}…`
              : 'Reconnecting…'}
          </p>
          {bridge.status === 'reconnecting' && <Button onClick={reconnect}>Reconnect now</Button>}
        </div>
      )}
    </div>
  );
}

/** A signed-in account whose email is not verified yet cannot create instances: say so early. */
export function VerifyEmailBanner() {
  const user = useAppStore((s) => s.session?.user);
  const route = useAppStore((s) => s.route);
  const navigate = useAppStore((s) => s.navigate);
  if (!user || user.email_verified || route.name === 'verifyEmail') return null;
  return (
    <div className="banner banner-info">
      <p>Verify your email address ({user.email}) to create instances.</p>
      <Button onClick={() => navigate({ name: 'verifyEmail' })}>Verify email</Button>
    </div>
  );
}

/** The message left by the last action (saved, verified…), dismissable. */
export function FlashMessage() {
  const flash = useAppStore((s) => s.flash);
  const dismiss = useAppStore((s) => s.dismissFlash);
  return (
    <div role="status" aria-live="polite" className="flash-slot">
      {flash && (
        <div className={`flash flash-${flash.tone}`} key={flash.id}>
          <p>{flash.text}</p>
          <Button variant="link" onClick={dismiss}>
            Dismiss
          </Button>
        </div>
      )}
    </div>
  );
}
