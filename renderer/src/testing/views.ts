// What the host answers, as renderer tests script it: sessions, a subscription, a connection
// (agent-core's, shared with the tray and status-file tests).
import type { SessionView } from '@cloud-connect/agent-core/desktop';

export { connectionView } from '@cloud-connect/agent-core/testing';

export const signedOut: SessionView = {
  signedIn: false,
  relayUrl: 'http://127.0.0.1:8787',
  user: null,
};

export const signedIn: SessionView = {
  signedIn: true,
  relayUrl: 'http://127.0.0.1:8787',
  user: {
    id: 'usr_abcdefghij',
    email: 'ada@example.com',
    name: 'Ada',
    email_verified: true,
    subscription_status: 'none',
    subscription_plan: 'free',
  },
};

export const freeSubscription = {
  status: 'none',
  plan: 'free',
  current_period_start: null,
  current_period_end: null,
  cancel_at_period_end: false,
  payment_method: null,
} as const;
