import { ErrorMessage } from '../components/ErrorMessage.js';
import { Field } from '../components/Field.js';
import { Form } from '../components/Form.js';
import { Panel } from '../components/Panel.js';
import type { RadioChoice } from '../components/RadioGroup.js';
import { RadioGroup } from '../components/RadioGroup.js';
import { RouteLink } from '../components/RouteLink.js';
import { ScreenTitle } from '../components/ScreenTitle.js';
import { SubmitRow } from '../components/SubmitRow.js';
import { Switch } from '../components/Switch.js';
import { useFormValues } from '../components/useFormValues.js';
import { useAppStore, useRequest } from '../store/StoreProvider.js';
import type { ThemePreference } from '../store/uiSlice.js';

const THEMES: Array<RadioChoice<ThemePreference>> = [
  { value: 'system', label: 'System' },
  { value: 'light', label: 'Light' },
  { value: 'dark', label: 'Dark' },
];

/** Relay server, theme, launch at login, the account's name, and what version this is. */
export function SettingsScreen() {
  const signedIn = useAppStore((s) => s.session?.signedIn ?? false);
  const appInfo = useAppStore((s) => s.appInfo);

  return (
    <section className="screen screen-narrow">
      {!signedIn && <RouteLink to={{ name: 'signIn' }}>← Back to sign in</RouteLink>}
      <ScreenTitle>Settings</ScreenTitle>
      <RelaySettings />
      <ThemeSettings />
      {appInfo && appInfo.launchAtLogin !== null && (
        <LaunchAtLogin enabled={appInfo.launchAtLogin} />
      )}
      {signedIn && <ProfileSettings />}
      {appInfo && (
        <p className="muted about">
          Cloud Connect {appInfo.version} ·{' '}
          {appInfo.host === 'electron' ? 'desktop app' : 'web host'} · {appInfo.platform}
        </p>
      )}
    </section>
  );
}

function RelaySettings() {
  const relayUrl = useAppStore((s) => s.session?.relayUrl ?? '');
  const setRelayUrl = useAppStore((s) => s.setRelayUrl);
  const request = useRequest('setRelayUrl');
  const form = useFormValues({ url: relayUrl }, request.error?.fields);

  return (
    <Panel title="Relay server">
      <Form onSubmit={() => setRelayUrl(form.values.url)}>
        <Field
          label="Relay server URL"
          type="url"
          inputMode="url"
          spellCheck={false}
          placeholder="https://api.example.com"
          hint="The Cloud Connect server your account lives on."
          {...form.text('url')}
        />
        <SubmitRow
          label="Save relay URL"
          variant="secondary"
          request={request}
          disabled={form.values.url.trim() === relayUrl}
        />
      </Form>
    </Panel>
  );
}

function ThemeSettings() {
  const theme = useAppStore((s) => s.theme);
  const setTheme = useAppStore((s) => s.setTheme);
  return (
    <Panel title="Appearance">
      <RadioGroup
        legend="Theme"
        className="choice choice-row"
        choices={THEMES}
        value={theme}
        onChange={setTheme}
      />
    </Panel>
  );
}

function LaunchAtLogin({ enabled }: { enabled: boolean }) {
  const setLaunchAtLogin = useAppStore((s) => s.setLaunchAtLogin);
  const request = useRequest('launchAtLogin');
  return (
    <Panel title="Start-up">
      <Switch
        label="Launch at login"
        checked={enabled}
        busy={request.pending}
        onChange={(value) => void setLaunchAtLogin(value)}
        hint="Start Cloud Connect when you log in, so connections enabled on start-up come back by themselves."
      />
      <ErrorMessage error={request.error} />
    </Panel>
  );
}

function ProfileSettings() {
  const user = useAppStore((s) => s.session?.user);
  const updateProfile = useAppStore((s) => s.updateProfile);
  const request = useRequest('updateProfile');
  const form = useFormValues({ name: user?.name ?? '' }, request.error?.fields);

  return (
    <Panel title="Account">
      <p>
        Signed in as <strong>{user?.email}</strong>
        {user && !user.email_verified && ' (email not verified yet)'}.
      </p>
      <Form onSubmit={() => updateProfile(form.values.name)} className="form form-row">
        <Field label="Your name" autoComplete="name" {...form.text('name')} />
        <SubmitRow label="Save name" variant="secondary" request={request} showError={false} />
      </Form>
      <ErrorMessage error={request.error?.fields.name ? null : request.error} />
    </Panel>
  );
}
