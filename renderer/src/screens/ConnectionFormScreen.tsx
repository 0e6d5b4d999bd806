import type { ConnectionView, DockerView, RelayTransport } from '@cloud-connect/agent-core/desktop';
import { TRANSPORT_LABELS } from '@cloud-connect/agent-core/status';
import { useEffect, useState } from 'react';
import { Button } from '../components/Button.js';
import { Checkbox } from '../components/Checkbox.js';
import { ErrorMessage } from '../components/ErrorMessage.js';
import { Field } from '../components/Field.js';
import { Form } from '../components/Form.js';
import type { RadioChoice } from '../components/RadioGroup.js';
import { RadioGroup } from '../components/RadioGroup.js';
import { RouteLink } from '../components/RouteLink.js';
import { ScreenTitle } from '../components/ScreenTitle.js';
import { SelectField } from '../components/SelectField.js';
import { SubmitRow } from '../components/SubmitRow.js';
import { Switch } from '../components/Switch.js';
import { TestResult } from '../components/TestResult.js';
import type { TextBinding } from '../components/useFormValues.js';
import { useFormValues } from '../components/useFormValues.js';
import type { ConnectionDraft } from '../store/connectionsSlice.js';
import { DRAFT_TEST } from '../store/connectionsSlice.js';
import { useAppStore, useRequest } from '../store/StoreProvider.js';

type TargetMode = 'docker' | 'url';

function initialDraft(
  existing: ConnectionView | undefined,
  instanceId: string | null,
  instanceName: string | undefined,
): ConnectionDraft {
  return {
    kind: existing?.kind ?? (instanceId ? 'relay' : 'cloudflare'),
    name: existing?.name ?? instanceName ?? '',
    instanceId: existing?.instanceId ?? instanceId ?? '',
    instanceToken: '',
    transport: existing?.transport ?? 'auto',
    token: '',
    target: existing?.target ?? '',
    enabled: existing?.enabled ?? true,
  };
}

function dockerTargets(docker: DockerView | null): string[] {
  return docker?.available ? docker.containers.flatMap((c) => c.suggestedTargets) : [];
}

/** Docker is offered first when it has something to pick and no other typed target is kept. */
function prefersDocker(targets: string[], target: string): boolean {
  return targets.length > 0 && (!target || targets.includes(target));
}

const KINDS: Array<RadioChoice<ConnectionDraft['kind']>> = [
  {
    value: 'relay',
    label: 'My Cloud Connect instance',
    hint: 'Your app gets your instance’s address on the Cloud Connect relay.',
  },
  {
    value: 'cloudflare',
    label: 'Cloudflare Tunnel',
    hint: 'Use a tunnel you created in the Cloudflare Zero Trust dashboard.',
  },
];

/** How a relay connection reaches the relay: the choice and what each costs. */
const TRANSPORTS: Array<RadioChoice<RelayTransport>> = [
  {
    value: 'auto',
    label: TRANSPORT_LABELS.auto,
    hint: 'WireGuard when this computer allows it, else the stream transport.',
  },
  {
    value: 'wireguard',
    label: TRANSPORT_LABELS.wireguard,
    hint: 'Fastest; needs administrator rights and open UDP.',
  },
  {
    value: 'stream',
    label: TRANSPORT_LABELS.stream,
    hint: 'Works anywhere HTTPS does, no administrator rights.',
  },
];

/**
 * Add or edit a connection (seed 000 P13-2.1/2.4 "TunnelSettings"): the relay to an instance or
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
  const saveConnection = useAppStore((s) => s.saveConnection);
  const saveRequest = useRequest('saveConnection');
  const testDraft = useAppStore((s) => s.testDraft);
  const testKey = connectionId ?? DRAFT_TEST;
  const testRequest = useRequest(`test:${testKey}`);
  const testResult = useAppStore((s) => s.testResults[testKey]);
  const clearRequest = useAppStore((s) => s.clearRequest);
  const clearTestResult = useAppStore((s) => s.clearTestResult);

  const editing = connectionId !== null;
  const fields = saveRequest.error?.fields ?? {};
  const form = useFormValues(
    () => initialDraft(existing, instanceId, instances.find((i) => i.id === instanceId)?.name),
    // A token the test refused is shown under the token field too.
    { ...fields, token: fields.token ?? testRequest.error?.fields.token },
    (key) => {
      // A result for another token would mislead.
      if (key === 'token' || key === 'kind') clearTestResult(testKey);
    },
  );
  const draft = form.values;
  const [showToken, setShowToken] = useState(false);

  useEffect(() => {
    // The form starts clean: no error or test result left from an earlier visit.
    clearRequest('saveConnection');
    clearTestResult(DRAFT_TEST);
  }, [clearRequest, clearTestResult]);

  useEffect(() => {
    if (!instancesLoaded) void loadInstances();
  }, [instancesLoaded, loadInstances]);

  const canTest = draft.kind === 'cloudflare' || editing;
  const selectedInstance = instances.find((i) => i.id === draft.instanceId);

  return (
    <section className="screen screen-narrow">
      <RouteLink to={{ name: 'connections' }}>← Back to connections</RouteLink>
      <ScreenTitle>
        {editing ? `Edit ${existing?.name ?? 'connection'}` : 'Add connection'}
      </ScreenTitle>
      <Form onSubmit={() => saveConnection(draft, connectionId)}>
        <RadioGroup
          legend="Connection type"
          choices={KINDS}
          value={draft.kind}
          onChange={(kind) => form.set('kind', kind)}
          disabled={editing}
        />

        <Field label="Name" required placeholder="Photos" {...form.text('name')} />

        {draft.kind === 'relay' ? (
          <>
            <SelectField
              label="Instance"
              disabled={editing}
              {...form.text('instanceId')}
              hint={
                instancesLoaded && instances.length === 0 ? (
                  <>
                    You have no instances yet.{' '}
                    <RouteLink to={{ name: 'instances' }}>Create an instance</RouteLink>
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
              verbatim
              {...form.text('instanceToken')}
              hint="Only for an instance created on another computer: this one keeps its tokens in the keychain."
            />
            <RadioGroup
              legend="Transport"
              choices={TRANSPORTS}
              value={draft.transport}
              onChange={(transport) => form.set('transport', transport)}
            />
          </>
        ) : (
          <>
            <Field
              label="Tunnel token"
              type={showToken ? 'text' : 'password'}
              verbatim
              placeholder="eyJ…"
              {...form.text('token')}
              hint={
                editing && existing?.hasToken
                  ? 'A token is saved in the keychain. Leave this empty to keep it.'
                  : 'Cloudflare Zero Trust → Networks → Tunnels → your tunnel → the token in the install command. It starts with eyJ.'
              }
            />
            <Checkbox label="Show token" checked={showToken} onChange={setShowToken} />
          </>
        )}

        <TargetFields kind={draft.kind} target={form.text('target')} />

        <Switch
          label="Enable on start-up"
          checked={draft.enabled}
          onChange={(enabled) => form.set('enabled', enabled)}
          hint="Connect automatically whenever Cloud Connect starts."
        />

        <TestResult result={testResult} pending={testRequest.pending} />
        {!testRequest.error?.fields.token && <ErrorMessage error={testRequest.error} />}

        <SubmitRow label="Save" request={saveRequest}>
          <Button
            busy={testRequest.pending}
            disabled={!canTest}
            onClick={() => void testDraft(draft, connectionId)}
            title={canTest ? undefined : 'Save the connection first, then test it.'}
          >
            Test connection
          </Button>
          <RouteLink variant="secondary" to={{ name: 'connections' }}>
            Cancel
          </RouteLink>
        </SubmitRow>
        {!canTest && <p className="field-hint">Save the connection first, then test it.</p>}
      </Form>
    </section>
  );
}

/**
 * Where the app runs: a Docker container's published address (the containers are looked up when
 * the form opens) or a typed URL.
 */
function TargetFields({ kind, target }: { kind: ConnectionDraft['kind']; target: TextBinding }) {
  const docker = useAppStore((s) => s.docker);
  const loadContainers = useAppStore((s) => s.loadContainers);
  const dockerRequest = useRequest('loadContainers');
  const targets = dockerTargets(docker);
  const [targetMode, setTargetMode] = useState<TargetMode>(() =>
    prefersDocker(targets, target.value) ? 'docker' : 'url',
  );
  // The mode follows a container list when one arrives, never later typing; so it is decided
  // while rendering with a changed list (React's way to adjust state to a changed value).
  const [dockerSeen, setDockerSeen] = useState(docker);
  if (docker !== dockerSeen) {
    setDockerSeen(docker);
    if (prefersDocker(targets, target.value)) setTargetMode('docker');
  }

  useEffect(() => {
    void loadContainers();
  }, [loadContainers]);

  return (
    <>
      <RadioGroup
        legend="Where your app runs on this computer"
        choices={[
          { value: 'docker', label: 'Docker container', disabled: targets.length === 0 },
          { value: 'url', label: 'Address (URL)' },
        ]}
        value={targetMode}
        onChange={setTargetMode}
      >
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
      </RadioGroup>

      {targetMode === 'docker' && docker?.available && targets.length > 0 ? (
        <SelectField
          label="Container"
          {...target}
          value={targets.includes(target.value) ? target.value : ''}
        >
          <option value="">Choose a container…</option>
          {docker.containers
            .filter((c) => c.suggestedTargets.length > 0)
            .map((container) => (
              <optgroup key={container.id} label={`${container.name} (${container.image})`}>
                {container.suggestedTargets.map((address) => (
                  <option key={address} value={address}>
                    {address}
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
          verbatim
          placeholder="http://localhost:8080"
          {...target}
          hint={
            kind === 'cloudflare'
              ? 'Optional: the tunnel’s routes are set in Cloudflare; note your app’s address here.'
              : 'Where your app answers on this computer, e.g. http://localhost:8080.'
          }
        />
      )}
    </>
  );
}
