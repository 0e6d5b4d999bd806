import type { ReactNode } from 'react';
import { ConnectionFormScreen } from '../screens/ConnectionFormScreen.js';
import { ConnectionsScreen } from '../screens/ConnectionsScreen.js';
import { DomainsScreen } from '../screens/DomainsScreen.js';
import { ForgotPasswordScreen } from '../screens/ForgotPasswordScreen.js';
import { InstancesScreen } from '../screens/InstancesScreen.js';
import { LogsScreen } from '../screens/LogsScreen.js';
import { PlansScreen } from '../screens/PlansScreen.js';
import { ResetPasswordScreen } from '../screens/ResetPasswordScreen.js';
import { SettingsScreen } from '../screens/SettingsScreen.js';
import { SignInScreen } from '../screens/SignInScreen.js';
import { SignUpScreen } from '../screens/SignUpScreen.js';
import { VerifyEmailScreen } from '../screens/VerifyEmailScreen.js';
import type { Route, RouteName } from '../store/route.js';
import { needsAccount } from '../store/route.js';
import { useAppStore } from '../store/StoreProvider.js';
import { BridgeBanner, FlashMessage, VerifyEmailBanner } from './Banners.js';
import { Header } from './Header.js';
import { Unreachable } from './Unreachable.js';
import { useTheme } from './useTheme.js';

/** Each route's screen; a new route fails the build until it has one. */
const SCREENS: { [N in RouteName]: (route: Extract<Route, { name: N }>) => ReactNode } = {
  signIn: () => <SignInScreen />,
  signUp: () => <SignUpScreen />,
  verifyEmail: () => <VerifyEmailScreen />,
  forgotPassword: () => <ForgotPasswordScreen />,
  resetPassword: () => <ResetPasswordScreen />,
  connections: () => <ConnectionsScreen />,
  connectionForm: (route) => (
    <ConnectionFormScreen connectionId={route.connectionId} instanceId={route.instanceId} />
  ),
  instances: () => <InstancesScreen />,
  domains: (route) => <DomainsScreen instanceId={route.instanceId} />,
  plans: () => <PlansScreen />,
  logs: () => <LogsScreen />,
  settings: () => <SettingsScreen />,
};

function screenFor<N extends RouteName>(route: Extract<Route, { name: N }>): ReactNode {
  return SCREENS[route.name](route);
}

/** A key per screen instance, so a screen's local form state starts fresh on each visit. */
function routeKey(route: Route): string {
  switch (route.name) {
    case 'connectionForm':
      return `${route.name}:${route.connectionId ?? 'new'}:${route.instanceId ?? ''}`;
    case 'domains':
      return `${route.name}:${route.instanceId}`;
    default:
      return route.name;
  }
}

/** The app shell: theme, banners, the signed-in header, and the screen of the current route. */
export function App() {
  const route = useAppStore((s) => s.route);
  const signedIn = useAppStore((s) => s.session?.signedIn);
  const bridge = useAppStore((s) => s.bridge);
  const theme = useAppStore((s) => s.theme);
  useTheme(theme);

  if (bridge.status === 'unauthorized') return <Unreachable reason={bridge.reason} />;

  if (signedIn === undefined) {
    return (
      <div className="app">
        <BridgeBanner />
        <main className="loading" role="status">
          <span className="spinner" aria-hidden="true" /> Starting Cloud Connect…
        </main>
      </div>
    );
  }

  // A signed-out user asking for an account's screen sees sign-in instead.
  const shown: Route = !signedIn && needsAccount(route) ? { name: 'signIn' } : route;
  return (
    <div className={`app${signedIn ? ' app-signed-in' : ''}`}>
      {signedIn && <Header />}
      <BridgeBanner />
      {signedIn && <VerifyEmailBanner />}
      <main id="main" className="main">
        <FlashMessage />
        <div key={routeKey(shown)}>{screenFor(shown)}</div>
      </main>
    </div>
  );
}
