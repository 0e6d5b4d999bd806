import { Button } from '../components/Button.js';
import { planName } from '../store/billingSlice.js';
import type { Route, RouteName } from '../store/route.js';
import { useAppStore, useRequest } from '../store/StoreProvider.js';

const NAV: Array<{ label: string; route: Route; matches: RouteName[] }> = [
  {
    label: 'Connections',
    route: { name: 'connections' },
    matches: ['connections', 'connectionForm'],
  },
  { label: 'Instances', route: { name: 'instances' }, matches: ['instances', 'domains'] },
  { label: 'Plans', route: { name: 'plans' }, matches: ['plans'] },
  { label: 'Logs', route: { name: 'logs' }, matches: ['logs'] },
  { label: 'Settings', route: { name: 'settings' }, matches: ['settings'] },
];

/** The signed-in header: the main navigation, who is signed in, Sign out. */
export function Header() {
  const route = useAppStore((s) => s.route);
  const navigate = useAppStore((s) => s.navigate);
  const email = useAppStore((s) => s.session?.user?.email);
  const plan = useAppStore((s) => s.session?.user?.subscription_plan);
  const signOut = useAppStore((s) => s.signOut);
  const signOutRequest = useRequest('signOut');

  return (
    <header className="app-header">
      <p className="brand">
        <span className="brand-mark" aria-hidden="true" /> Cloud Connect
      </p>
      <nav aria-label="Main">
        <ul>
          {NAV.map((item) => {
            const current = item.matches.includes(route.name);
            return (
              <li key={item.label}>
                <button
                  type="button"
                  className={`nav-item${current ? ' nav-item-current' : ''}`}
                  aria-current={current ? 'page' : undefined}
                  onClick={() => navigate(item.route)}
                >
                  {item.label}
                </button>
              </li>
            );
          })}
        </ul>
      </nav>
      <div className="account">
        <span className="account-email">{email}</span>
        {plan && <span className="badge">{planName(plan)}</span>}
        <Button busy={signOutRequest.pending} onClick={() => void signOut()}>
          Sign out
        </Button>
      </div>
    </header>
  );
}
