import type { BridgeState } from '../bridge/bridgeState.js';

type Reason = Extract<BridgeState, { status: 'unauthorized' }>['reason'];

const WORDS: Record<Reason, { title: string; body: string }> = {
  'missing-token': {
    title: 'Open Cloud Connect from its link',
    body: 'This page needs the access link the Cloud Connect web host printed when it started (it ends in #token=…). Open that link, or restart the web host to get a new one.',
  },
  'rejected-token': {
    title: 'This link has expired',
    body: 'The Cloud Connect web host did not accept this page’s access token, usually because it was restarted. Open the new link it printed.',
  },
  'no-host': {
    title: 'Cloud Connect is not running here',
    body: 'This page must be opened by the Cloud Connect desktop app or its web host.',
  },
};

/** Shown when the page has no way to talk to a Cloud Connect host. */
export function Unreachable({ reason }: { reason: Reason }) {
  const words = WORDS[reason];
  return (
    <main className="auth">
      <div className="auth-card" role="alert">
        <h1 className="screen-title">{words.title}</h1>
        <p>{words.body}</p>
      </div>
    </main>
  );
}
