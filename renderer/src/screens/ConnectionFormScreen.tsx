import type { ConnectionView, DockerView } from '@cloud-connect/agent-core/desktop';
import type { FormEvent } from 'react';
import { useEffect, useId, useState } from 'react';
import { Button } from '../components/Button.js';
import { Checkbox } from '../components/Checkbox.js';
import { ErrorMessage } from '../components/ErrorMessage.js';
import { Field } from '../components/Field.js';
import { RadioOption } from '../components/RadioOption.js';
import { ScreenTitle } from '../components/ScreenTitle.js';
import { SelectField } from '../components/SelectField.js';
import { Switch } from '../components/Switch.js';
import { TestResult } from '../components/TestResult.js';
import type { ConnectionDraft } from '../store/connectionsSlice.js';
import { DRAFT_TEST } from '../store/connectionsSlice.js';
import { IDLE } from '../store/requests.js';
import { useAppStore } from '../store/StoreProvider.js';

type TargetMode = 'docker' | 'url';

function initialDraft(
  existing: ConnectionView | undefined,
  instanceId: string | null,
  instanceName: string | undefined,
): ConnectionDraft {
  return {
    kind: existing?.kind ?? (instanceId ? 'wireguard' : 'cloudflare'),
    name: existing?.name ?? instanceName ?? '',
    instanceId: existing?.instanceId ?? instanceId ?? '',
    instanceToken: '',
    token: '',
    target: existing?.target ?? '',
    enabled: existing?.enabled ?? true,
  };
}

function dockerTargets(docker: DockerView | null): string[] {
  return docker?.available ? docker.containers.flatMap((c) => c.suggestedTargets) : [];
}

/**
 * Add or edit a connection (seed 000 P13-2.1/2.4 "TunnelSettings"): WireGuard to an instance or
 * a Cloudflare tunnel token, the target from Docker or typed, Test connection, Enable on
 * start-up, Save.
 */
export function ConnectionFormScreen({
  connectionId,
  instanceId,
}: {
  connectionId: string | null;
  instanceId: string | null;
}) {
  const existing = useAppStore((s) =>
    connectionId ? s.connections.find((c) => c.id === connectionId) : undefined,
  );
  const instances = useAppStore((s) => s.instances);
  const instancesLoaded = useAppStore((s) => s.instancesLoaded);
  const loadInstances = useAppStore((s) => s.loadInstances);
  const docker = useAppStore((s) => s.docker);
  const loadContainers = useAppStore((s) => s.loadContainers);
  const dockerRequest = useAppStore((s) => s.requests.loadContainers ?? IDLE);
  const saveConnection = useAppStore((s) => s.saveConnection);
  const saveRequest = useAppStore((s) => s.requests.saveConnection ?? IDLE);
  const testDraft = useAppStore((s) => s.testDraft);
  const testKey = connectionId ?? DRAFT_TEST;
  const testRequest = useAppStore((s) => s.requests[`test:${testKey}`] ?? IDLE);
  const testResult = useAppStore((s) => s.testResults[testKey]);
  const clearRequest = useAppStore((s) => s.clearRequest);
  const clearTestResult = useAppStore((s) => s.clearTestResult);
  const navigate = useAppStore((s) => s.navigate);

  const editing = connectionId !== null;
  const [draft, setDraft] = useState<ConnectionDraft>(() =>
    initialDraft(existing, instanceId, instances.find((i) => i.id === instanceId)?.name),
  );
  const [targetMode, setTargetMode] = useState<TargetMode>('url');
  const [showToken, setShowToken] = useState(false);
  const kindName = useId();
  const targetName = useId();

  useEffect(() => {
    void loadContainers();
    // The form starts clean: no error or test result left from an earlier visit.
    clearRequest('saveConnection');
    clearTestResult(DRAFT_TEST);
  }, [loadContainers, clearRequest, clearTestResult]);

  useEffect(() => {
    if (!instancesLoaded) void loadInstances();
  }, [instancesLoaded, loadInstances]);

  const targets = dockerTargets(docker);
  // Offer Docker first when it has something to pick and no typed target is being edited.
  useEffect(() => {
    if (targets.length > 0 && (!draft.target || targets.includes(draft.target)))
      setTargetMode('docker');
    // Only when the container list arrives; later typing must not flip the mode.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [docker]);

  function update<K extends keyof ConnectionDraft>(key: K, value: ConnectionDraft[K]) {
    setDraft((d) => ({ ...d, [key]: value }));
    // A result for another token would mislead.
    if (key === 'token' || key === 'kind') clearTestResult(testKey);
  }

  function handleSubmit(event: FormEvent) {
    event.preventDefault();
    void saveConnection(draft, connectionId);
  }

  const fields = saveRequest.error?.fields ?? {};
  const canTest = draft.kind === 'cloudflare' || editing;
  const selectedInstance = instances.find((i) => i.id === draft.instanceId);

  return (
    <section className="screen screen-narrow">
      <Button variant="link" onClick={() => navigate({ name: 'connections' })}>
        ← Back to connections
      </Button>
      <ScreenTitle>
        {editing ? `Edit ${existing?.name ?? 'connection'}` : 'Add connection'}
      </ScreenTitle>
      <form onSubmit={handleSubmit} noValidate className="form">
        <fieldset className="choice" disabled={editing}>
          <legend>Connection type</legend>
          <RadioOption
            name={kindName}
            checked={draft.kind === 'wireguard'}
            onChange={() => update('kind', 'wireguard')}
            label="WireGuard to my instance"
            hint="Your app gets your instance’s address on the Cloud Connect relay."
          />
          <RadioOption
            name={kindName}
            checked={draft.kind === 'cloudflare'}
            onChange={() => update('kind', 'cloudflare')}
            label="Cloudflare Tunnel"
            hint="Use a tunnel you created in the Cloudflare Zero Trust dashboard."
          />
        </fieldset>

        <Field
          label="Name"
          required
          placeholder="Photos"
          value={draft.name}
          onChange={(e) => update('name', e.target.value)}
          error={fields.name}
        />

        {draft.kind === 'wireguard' ? (
          <>
            <SelectField
              label="Instance"
              value={draft.instanceId}
              disabled={editing}
              onChange={(e) => update('instanceId', e.target.value)}
              error={fields.instanceId}
              hint={
                instancesLoaded && instances.length === 0 ? (
                  <>
                    You have no instances yet.{' '}
                    <Button variant="link" onClick={() => navigate({ name: 'instances' })}>
                      Create an instance
                    </Button>
                  </>
                ) : selectedInstance ? (
                  <>
                    Subdomain <code>{selectedInstance.subdomain}</code>
                  </>
                ) : undefined
              }
            >
              <option value="">Choose an instance…</option>
              {instances.map((instance) => (
                <option key={instance.id} value={instance.id}>
                  {instance.name} ({instance.subdomain})
                </option>
              ))}
            </SelectField>
            <Field
              label="Instance token"
              type="password"
              autoComplete="off"
              spellCheck={false}
              value={draft.instanceToken}
              onChange={(e) => update('instanceToken', e.target.value)}
              error={fields.instanceToken}
              hint="Only for an instance created on another computer: this one keeps its tokens in the keychain."
            />
          </>
        ) : (
          <>
            <Field
              label="Tunnel token"
              type={showToken ? 'text' : 'password'}
              autoComplete="off"
              spellCheck={false}
              placeholder="eyJ…"
              value={draft.token}
              onChange={(e) => update('token', e.target.value)}
              error={fields.token ?? testRequest.error?.fields.token}
              hint={
                editing && existing?.hasToken
                  ? 'A token is saved in the keychain. Leave this empty to keep it.'
                  : 'Cloudflare Zero Trust → Networks → Tunnels → your tunnel → the token in the install command. It starts with eyJ.'
              }
            />
            <Checkbox label="Show token" checked={showToken} onChange={setShowToken} />
          </>
        )}

        <fieldset className="choice">
          <legend>Where your app runs on this computer</legend>
          <RadioOption
            name={targetName}
            checked={targetMode === 'docker'}
            disabled={targets.length === 0}
            onChange={() => setTargetMode('docker')}
            label="Docker container"
          />
          <RadioOption
            name={targetName}
            checked={targetMode === 'url'}
            onChange={() => setTargetMode('url')}
            label="Address (URL)"
          />
          {dockerRequest.pending && (
            <p className="field-hint" role="status">
              <span className="spinner" aria-hidden="true" /> Looking for Docker containers…
            </p>
          )}
          {docker && !docker.available && (
            <p className="field-hint">
              Docker is not available{docker.reason ? ` (${docker.reason})` : ''}: type the address.
            </p>
          )}
          {docker?.available && targets.length === 0 && (
            <p className="field-hint">No running container publishes a port: type the address.</p>
          )}
        </fieldset>

        {targetMode === 'docker' && docker?.available && targets.length > 0 ? (
          <SelectField
            label="Container"
            value={targets.includes(draft.target) ? draft.target : ''}
            onChange={(e) => update('target', e.target.value)}
            error={fields.target}
          >
            <option value="">Choose a container…</option>
            {docker.containers
              .filter((c) => c.suggestedTargets.length > 0)
              .map((container) => (
                <optgroup key={container.id} label={`${container.name} (${container.image})`}>
                  {container.suggestedTargets.map((target) => (
                    <option key={target} value={target}>
                      {target}
                    </option>
                  ))}
                </optgroup>
              ))}
          </SelectField>
        ) : (
          <Field
            label="Target URL"
            type="url"
            inputMode="url"
            autoComplete="off"
            spellCheck={false}
            placeholder="http://localhost:8080"
            value={draft.target}
            onChange={(e) => update('target', e.target.value)}
            error={fields.target}
            hint={
              draft.kind === 'cloudflare'
                ? 'Optional: the tunnel’s routes are set in Cloudflare; note your app’s address here.'
                : 'Where your app answers on this computer, e.g. http://localhost:8080.'
            }
          />
        )}

        <Switch
          label="Enable on start-up"
          checked={draft.enabled}
          onChange={(enabled) => update('enabled', enabled)}
          hint="Connect automatically whenever Cloud Connect starts."
        />

        <TestResult result={testResult} pending={testRequest.pending} />
        {!testRequest.error?.fields.token && <ErrorMessage error={testRequest.error} />}
        <ErrorMessage error={saveRequest.error} />

        <div className="actions">
          <Button type="submit" variant="primary" busy={saveRequest.pending}>
            Save
          </Button>
          <Button
            busy={testRequest.pending}
            disabled={!canTest}
            onClick={() => void testDraft(draft, connectionId)}
            title={canTest ? undefined : 'Save the connection first, then test it.'}
          >
            Test connection
          </Button>
          <Button onClick={() => navigate({ name: 'connections' })}>Cancel</Button>
        </div>
        {!canTest && <p className="field-hint">Save the connection first, then test it.</p>}
      </form>
    </section>
  );
}
