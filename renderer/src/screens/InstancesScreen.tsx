import type { InstanceListItem } from '@cloud-connect/agent-core/api';
import { useEffect, useState } from 'react';
import { Button } from '../components/Button.js';
import { CardList } from '../components/CardList.js';
import { ConfirmButton } from '../components/ConfirmButton.js';
import { CopyButton } from '../components/CopyButton.js';
import { ErrorMessage } from '../components/ErrorMessage.js';
import { Field } from '../components/Field.js';
import { Form } from '../components/Form.js';
import { formatDateTime } from '../components/formatTime.js';
import { ItemCard, PublicAddressFact, StatusSummary } from '../components/ItemCard.js';
import { Panel } from '../components/Panel.js';
import { RouteLink } from '../components/RouteLink.js';
import { ScreenTitle } from '../components/ScreenTitle.js';
import { StatusDot } from '../components/StatusDot.js';
import { SubmitRow } from '../components/SubmitRow.js';
import { useFormValues } from '../components/useFormValues.js';
import { instanceStatusView } from '../store/statusSelectors.js';
import { useAppStore, useRequest } from '../store/StoreProvider.js';

const INSTANCE_LIMIT = { free: 1, pro: 3, business: 10 } as const;

/** The account's instances: create (live subdomain check), token shown once, rename, delete. */
export function InstancesScreen() {
  const instances = useAppStore((s) => s.instances);
  const loaded = useAppStore((s) => s.instancesLoaded);
  const loadInstances = useAppStore((s) => s.loadInstances);
  const loadRequest = useRequest('loadInstances');
  const plan = useAppStore((s) => s.session?.user?.subscription_plan ?? 'free');

  useEffect(() => {
    void loadInstances();
  }, [loadInstances]);

  return (
    <section className="screen">
      <ScreenTitle>Instances</ScreenTitle>
      <p className="lead">
        An instance is one app you put online. It gets its own address and token.{' '}
        <span className="muted">
          {instances.length} of {INSTANCE_LIMIT[plan]} on your plan.
        </span>
      </p>
      <RevealedToken />
      <CardList
        label="Your instances"
        items={instances}
        keyOf={(instance) => instance.id}
        request={loadRequest}
        loaded={loaded}
        loading="Loading instances…"
        empty={<p className="empty">No instances yet. Create your first one below.</p>}
      >
        {(instance) => <InstanceCard instance={instance} />}
      </CardList>
      <CreateInstanceForm />
    </section>
  );
}

/** The token of a just-created (or regenerated) instance, shown this once. */
function RevealedToken() {
  const revealed = useAppStore((s) => s.revealedToken);
  const dismiss = useAppStore((s) => s.dismissRevealedToken);
  const navigate = useAppStore((s) => s.navigate);
  if (!revealed) return null;
  return (
    <Panel
      className="panel-success token-panel"
      title={
        revealed.reason === 'created'
          ? `${revealed.instanceName} is ready`
          : `New token for ${revealed.instanceName}`
      }
    >
      <Field
        label="Instance token"
        readOnly
        value={revealed.token}
        spellCheck={false}
        onFocus={(e) => e.currentTarget.select()}
        className="token-field"
      >
        <CopyButton label="Copy instance token" text={revealed.token} />
      </Field>
      <p>
        <strong>This is the only time the token is shown.</strong> Cloud Connect has saved it in
        this computer’s keychain, so connections made here use it without you copying anything. Copy
        it only to run the agent elsewhere, e.g. the <code>cloud-connect</code> command in your
        app’s Docker container.
      </p>
      <div className="actions">
        <Button
          variant="primary"
          onClick={() => {
            dismiss();
            navigate({
              name: 'connectionForm',
              connectionId: null,
              instanceId: revealed.instanceId,
            });
          }}
        >
          Connect this instance
        </Button>
        <Button onClick={dismiss}>Done</Button>
      </div>
    </Panel>
  );
}

function CreateInstanceForm() {
  const createInstance = useAppStore((s) => s.createInstance);
  const requestCheck = useAppStore((s) => s.requestSubdomainCheck);
  const request = useRequest('createInstance');
  const clearRequest = useAppStore((s) => s.clearRequest);
  const form = useFormValues({ name: '', subdomain: '' }, request.error?.fields, (key, value) => {
    if (key === 'subdomain') requestCheck(value);
  });

  async function handleSubmit() {
    if (await createInstance(form.values)) {
      form.reset();
      clearRequest('createInstance');
    }
  }

  return (
    <Panel title="New instance">
      <Form onSubmit={handleSubmit} className="form form-inline-wide">
        <Field label="Name" required placeholder="My photos" {...form.text('name')} />
        <Field
          label="Subdomain"
          required
          verbatim
          placeholder="myphotos"
          hint="Letters a–z, digits and hyphens, 3–63 characters."
          {...form.text('subdomain')}
        >
          <SubdomainCheckResult onPick={(subdomain) => form.set('subdomain', subdomain)} />
        </Field>
        <SubmitRow label="Create instance" request={request} />
      </Form>
    </Panel>
  );
}

/** The live availability of the typed subdomain, with clickable suggestions. */
function SubdomainCheckResult({ onPick }: { onPick: (subdomain: string) => void }) {
  const check = useAppStore((s) => s.subdomainCheck);
  return (
    <div className="subdomain-check" role="status" aria-live="polite">
      {check.state === 'checking' && (
        <p>
          <span className="spinner" aria-hidden="true" /> Checking {check.subdomain}…
        </p>
      )}
      {check.state === 'available' && (
        <p className="ok-text">
          <StatusDot tone="ok" /> {check.subdomain} is available
        </p>
      )}
      {check.state === 'invalid' && <p className="error-text">{check.message}</p>}
      {check.state === 'failed' && <p className="error-text">{check.message}</p>}
      {(check.state === 'taken' || check.state === 'reserved') && (
        <>
          <p className="error-text">
            {check.state === 'taken'
              ? `${check.subdomain} is taken.`
              : `${check.subdomain} is a reserved word. Choose another name.`}
            {check.suggestions.length > 0 && ' Available instead:'}
          </p>
          {check.suggestions.length > 0 && (
            <ul className="suggestions" aria-label="Suggested subdomains">
              {check.suggestions.map((suggestion) => (
                <li key={suggestion}>
                  <Button
                    className="button-small"
                    aria-label={`Use ${suggestion}`}
                    onClick={() => onPick(suggestion)}
                  >
                    {suggestion}
                  </Button>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </div>
  );
}

function InstanceCard({ instance }: { instance: InstanceListItem }) {
  const renameInstance = useAppStore((s) => s.renameInstance);
  const deleteInstance = useAppStore((s) => s.deleteInstance);
  const regenerate = useAppStore((s) => s.regenerateInstanceToken);
  const renameRequest = useRequest(`renameInstance:${instance.id}`);
  const deleteRequest = useRequest(`deleteInstance:${instance.id}`);
  const regenerateRequest = useRequest(`regenerateToken:${instance.id}`);
  const [renaming, setRenaming] = useState(false);
  const rename = useFormValues({ name: instance.name }, renameRequest.error?.fields);
  const connections = useAppStore((s) => s.connections);
  const status = instanceStatusView(instance, connections);

  async function handleRename() {
    if (await renameInstance(instance.id, rename.values.name)) setRenaming(false);
  }

  return (
    <ItemCard title={instance.name} state={<StatusSummary view={status} />}>
      <dl className="facts">
        <PublicAddressFact url={status.publicUrl} otherwise={<code>{instance.subdomain}</code>} />
        <dt>Instance id</dt>
        <dd>
          {/* The CLI (`cloud-connect connect --instance …`) and support ask for it. */}
          <code>{instance.id}</code>{' '}
          <CopyButton label={`Copy the id of ${instance.name}`} text={instance.id} />
        </dd>
        <dt>Subdomain</dt>
        <dd>
          <code>{instance.subdomain}</code>
        </dd>
        <dt>Custom domain</dt>
        <dd>{instance.custom_domain ?? 'none'}</dd>
        <dt>Last seen</dt>
        <dd>{formatDateTime(instance.last_seen)}</dd>
      </dl>
      {renaming && (
        <Form onSubmit={handleRename} className="form form-row">
          <Field label="Instance name" {...rename.text('name')} />
          <SubmitRow label="Save name" request={renameRequest} showError={false}>
            <Button onClick={() => setRenaming(false)}>Cancel</Button>
          </SubmitRow>
        </Form>
      )}
      <ErrorMessage error={renameRequest.error?.fields.name ? null : renameRequest.error} />
      <ErrorMessage error={deleteRequest.error} />
      <ErrorMessage error={regenerateRequest.error} />
      <div className="actions">
        <RouteLink
          variant="primary"
          to={{ name: 'connectionForm', connectionId: null, instanceId: instance.id }}
        >
          Connect
        </RouteLink>
        <RouteLink variant="secondary" to={{ name: 'domains', instanceId: instance.id }}>
          Custom domains
        </RouteLink>
        {!renaming && (
          <Button
            onClick={() => {
              rename.set('name', instance.name);
              setRenaming(true);
            }}
          >
            Rename
          </Button>
        )}
        <ConfirmButton
          label="Regenerate token"
          variant="secondary"
          title={`Regenerate the token of ${instance.name}?`}
          confirmLabel="Regenerate token"
          busy={regenerateRequest.pending}
          onConfirm={() => regenerate(instance.id)}
        >
          <p>
            The current token stops working at once and agents using it disconnect. The new token is
            saved in this computer’s keychain and shown to you once.
          </p>
        </ConfirmButton>
        <ConfirmButton
          label="Delete"
          title={`Delete ${instance.name}?`}
          confirmLabel="Delete instance"
          busy={deleteRequest.pending}
          onConfirm={() => deleteInstance(instance.id)}
        >
          <p>
            {instance.subdomain} stops working at once, its tunnel and custom domains are removed
            and its token stops working. This cannot be undone.
          </p>
        </ConfirmButton>
      </div>
    </ItemCard>
  );
}
