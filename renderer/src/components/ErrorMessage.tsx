import type { FriendlyError } from '../store/friendlyError.js';
import { RouteLink } from './RouteLink.js';

/**
 * A request's error in words, announced at once (role="alert"), with a button to the screen
 * that helps when there is one (plans for a limit, settings for a network problem).
 */
export function ErrorMessage({ error }: { error: FriendlyError | null | undefined }) {
  if (!error) return null;
  const action = error.action;
  return (
    <div className="message message-error" role="alert">
      <p>{error.message}</p>
      {action && <RouteLink to={action.route}>{action.label}</RouteLink>}
    </div>
  );
}
