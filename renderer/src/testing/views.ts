import type { ConnectionView, SessionView } from '@cloud-connect/agent-core/desktop';
import { idleStatus } from '@cloud-connect/agent-core/status';

/** What the host answers, as renderer tests script it: sessions, a subscription, a connection. */

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

/** A connection view with a status; override what the test is about. */
export function connectionView(
  overrides: Partial<Omit<ConnectionView, 'status'>> & {
    status?: Partial<ConnectionView['status']>;
  } = {},
): ConnectionView {
  const { status, ...rest } = overrides;
  return {
    id: 'conn_abc123',
    name: 'Photos',
    kind: 'cloudflare',
    instanceId: null,
    target: 'http://localhost:8080',
    enabled: true,
    hasToken: true,
    publicUrl: null,
    relay: null,
    createdAt: '2025-06-01T10:00:00.000Z',
    updatedAt: '2025-06-01T10:00:00.000Z',
    ...rest,
    status: { ...idleStatus('cloudflare'), ...status },
  };
}
