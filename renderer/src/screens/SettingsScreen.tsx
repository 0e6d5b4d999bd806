import type { FormEvent } from 'react';
import { useState } from 'react';
import { Button } from '../components/Button.js';
import { ErrorMessage } from '../components/ErrorMessage.js';
import { Field } from '../components/Field.js';
import { RadioOption } from '../components/RadioOption.js';
import { ScreenTitle } from '../components/ScreenTitle.js';
import { Switch } from '../components/Switch.js';
import { IDLE } from '../store/requests.js';
import { useAppStore } from '../store/StoreProvider.js';
import type { ThemePreference } from '../store/uiSlice.js';

const THEMES: Array<{ value: ThemePreference; label: string }> = [
  { value: 'system', label: 'System' },
  { value: 'light', label: 'Light' },
  { value: 'dark', label: 'Dark' },
];

/** Relay server, theme, launch at login, the account's name, and what version this is. */
export function SettingsScreen() {
  const signedIn = useAppStore((s) => s.session?.signedIn ?? false);
  const navigate = useAppStore((s) => s.navigate);
  const appInfo = useAppStore((s) => s.appInfo);

  return (
    <section className="screen screen-narrow">
      {!signedIn && (
        <Button variant="link" onClick={() => navigate({ name: 'signIn' })}>
          ← Back to sign in
        </Button>
      )}
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
  const request = useAppStore((s) => s.requests.setRelayUrl ?? IDLE);
  const [url, setUrl] = useState(relayUrl);

  function handleSubmit(event: FormEvent) {
    event.preventDefault();
    void setRelayUrl(url);
  }

  return (
    <section className="panel" aria-labelledby="relay-title">
      <h2 id="relay-title">Relay server</h2>
      <form onSubmit={handleSubmit} noValidate className="form">
        <Field
          label="Relay server URL"
          type="url"
          inputMode="url"
          spellCheck={false}
          value={url}
          placeholder="https://api.example.com"
          onChange={(e) => setUrl(e.target.value)}
          error={request.error?.fields.url}
          hint="The Cloud Connect server your account lives on."
        />
        <ErrorMessage error={request.error} />
        <div className="actions">
          <Button type="submit" busy={request.pending} disabled={url.trim() === relayUrl}>
            Save relay URL
          </Button>
        </div>
      </form>
    </section>
  );
}

function ThemeSettings() {
  const theme = useAppStore((s) => s.theme);
  const setTheme = useAppStore((s) => s.setTheme);
  return (
    <section className="panel" aria-labelledby="theme-title">
      <h2 id="theme-title">Appearance</h2>
      <fieldset className="choice choice-row">
        <legend>Theme</legend>
        {THEMES.map((option) => (
          <RadioOption
            key={option.value}
            name="theme"
            checked={theme === option.value}
            onChange={() => setTheme(option.value)}
            label={option.label}
          />
        ))}
      </fieldset>
    </section>
  );
}

function LaunchAtLogin({ enabled }: { enabled: boolean }) {
  const setLaunchAtLogin = useAppStore((s) => s.setLaunchAtLogin);
  const request = useAppStore((s) => s.requests.launchAtLogin ?? IDLE);
  return (
    <section className="panel" aria-labelledby="startup-title">
      <h2 id="startup-title">Start-up</h2>
      <Switch
        label="Launch at login"
        checked={enabled}
        busy={request.pending}
        onChange={(value) => void setLaunchAtLogin(value)}
        hint="Start Cloud Connect when you log in, so connections enabled on start-up come back by themselves."
      />
      <ErrorMessage error={request.error} />
    </section>
  );
}

function ProfileSettings() {
  const user = useAppStore((s) => s.session?.user);
  const updateProfile = useAppStore((s) => s.updateProfile);
  const request = useAppStore((s) => s.requests.updateProfile ?? IDLE);
  const [name, setName] = useState(user?.name ?? '');

  function handleSubmit(event: FormEvent) {
    event.preventDefault();
    void updateProfile(name);
  }

  return (
    <section className="panel" aria-labelledby="account-title">
      <h2 id="account-title">Account</h2>
      <p>
        Signed in as <strong>{user?.email}</strong>
        {user && !user.email_verified && ' (email not verified yet)'}.
      </p>
      <form onSubmit={handleSubmit} noValidate className="form form-row">
        <Field
          label="Your name"
          autoComplete="name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          error={request.error?.fields.name}
        />
        <div className="actions">
          <Button type="submit" busy={request.pending}>
            Save name
          </Button>
        </div>
      </form>
      <ErrorMessage error={request.error?.fields.name ? null : request.error} />
    </section>
  );
}
