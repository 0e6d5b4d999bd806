import type { InstanceListItem } from '@cloud-connect/agent-core/api';
import type { FormEvent } from 'react';
import { useEffect, useState } from 'react';
import { Button } from '../components/Button.js';
import { ConfirmButton } from '../components/ConfirmButton.js';
import { CopyButton } from '../components/CopyButton.js';
import { ErrorMessage } from '../components/ErrorMessage.js';
import { Field } from '../components/Field.js';
import { formatDateTime } from '../components/formatTime.js';
import { ScreenTitle } from '../components/ScreenTitle.js';
import { PublicAddress } from '../components/PublicAddress.js';
import { StatusDot } from '../components/StatusDot.js';
import { SubmitRow } from '../components/SubmitRow.js';
import { IDLE } from '../store/requests.js';
import { instanceStatusView } from '../store/statusSelectors.js';
import { useAppStore } from '../store/StoreProvider.js';

const INSTANCE_LIMIT = { free: 1, pro: 3, business: 10 } as const;

/** The account's instances: create (live subdomain check), token shown once, rename, delete. */
export function InstancesScreen() {
  const instances = useAppStore((s) => s.instances);
  const loaded = useAppStore((s) => s.instancesLoaded);
  const loadInstances = useAppStore((s) => s.loadInstances);
  const loadRequest = useAppStore((s) => s.requests.loadInstances ?? IDLE);
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
      <ErrorMessage error={loadRequest.error} />
      {!loaded && loadRequest.pending && (
        <p role="status">
          <span className="spinner" aria-hidden="true" /> Loading instances…
        </p>
      )}
      {loaded && instances.length === 0 && (
        <p className="empty">No instances yet. Create your first one below.</p>
      )}
      <ul className="card-list" aria-label="Your instances">
        {instances.map((instance) => (
          <li key={instance.id}>
            <InstanceCard instance={instance} />
          </li>
        ))}
      </ul>
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
    <section className="panel panel-success token-panel" aria-labelledby="revealed-token-title">
      <h2 id="revealed-token-title">
        {revealed.reason === 'created'
          ? `${revealed.instanceName} is ready`
          : `New token for ${revealed.instanceName}`}
      </h2>
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
    </section>
  );
}

function CreateInstanceForm() {
  const createInstance = useAppStore((s) => s.createInstance);
  const requestCheck = useAppStore((s) => s.requestSubdomainCheck);
  const request = useAppStore((s) => s.requests.createInstance ?? IDLE);
  const clearRequest = useAppStore((s) => s.clearRequest);
  const [name, setName] = useState('');
  const [subdomain, setSubdomain] = useState('');

  function handleSubdomain(value: string) {
    setSubdomain(value);
    requestCheck(value);
  }

  async function handleSubmit(event: FormEvent) {
    event.preventDefault();
    if (await createInstance({ name, subdomain })) {
      setName('');
      setSubdomain('');
      clearRequest('createInstance');
    }
  }

  const fields = request.error?.fields ?? {};
  return (
    <section className="panel" aria-labelledby="new-instance-title">
      <h2 id="new-instance-title">New instance</h2>
      <form onSubmit={handleSubmit} noValidate className="form form-inline-wide">
        <Field
          label="Name"
          required
          placeholder="My photos"
          value={name}
          onChange={(e) => setName(e.target.value)}
          error={fields.name}
        />
        <Field
          label="Subdomain"
          required
          autoComplete="off"
          spellCheck={false}
          placeholder="myphotos"
          hint="Letters a–z, digits and hyphens, 3–63 characters."
          value={subdomain}
          onChange={(e) => handleSubdomain(e.target.value)}
          error={fields.subdomain}
        >
          <SubdomainCheckResult onPick={handleSubdomain} />
        </Field>
        <SubmitRow label="Create instance" busy={request.pending} error={request.error} />
      </form>
    </section>
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
  const navigate = useAppStore((s) => s.navigate);
  const renameInstance = useAppStore((s) => s.renameInstance);
  const deleteInstance = useAppStore((s) => s.deleteInstance);
  const regenerate = useAppStore((s) => s.regenerateInstanceToken);
  const renameRequest = useAppStore((s) => s.requests[`renameInstance:${instance.id}`] ?? IDLE);
  const deleteRequest = useAppStore((s) => s.requests[`deleteInstance:${instance.id}`] ?? IDLE);
  const regenerateRequest = useAppStore(
    (s) => s.requests[`regenerateToken:${instance.id}`] ?? IDLE,
  );
  const [renaming, setRenaming] = useState(false);
  const [newName, setNewName] = useState(instance.name);
  const connections = useAppStore((s) => s.connections);
  const status = instanceStatusView(instance, connections);
  const titleId = `instance-${instance.id}`;

  async function handleRename(event: FormEvent) {
    event.preventDefault();
    if (await renameInstance(instance.id, newName)) setRenaming(false);
  }

  return (
    <article className="card" aria-labelledby={titleId}>
      <header className="card-header">
        <h2 id={titleId}>{instance.name}</h2>
        <div>
          <p className="state" role="status">
            <StatusDot tone={status.tone} /> {status.words}
          </p>
          {status.note && <p className="muted status-note">{status.note}</p>}
        </div>
      </header>
      <dl className="facts">
        <dt>Public address</dt>
        <dd>
          {status.publicUrl ? (
            <PublicAddress url={status.publicUrl} />
          ) : (
            <code>{instance.subdomain}</code>
          )}
        </dd>
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
        <form onSubmit={handleRename} noValidate className="form form-row">
          <Field
            label="Instance name"
            value={newName}
            onChange={(e) => setNewName(e.target.value)}
            error={renameRequest.error?.fields.name}
          />
          <div className="actions">
            <Button type="submit" variant="primary" busy={renameRequest.pending}>
              Save name
            </Button>
            <Button onClick={() => setRenaming(false)}>Cancel</Button>
          </div>
        </form>
      )}
      <ErrorMessage error={renameRequest.error?.fields.name ? null : renameRequest.error} />
      <ErrorMessage error={deleteRequest.error} />
      <ErrorMessage error={regenerateRequest.error} />
      <div className="actions">
        <Button
          variant="primary"
          onClick={() =>
            navigate({ name: 'connectionForm', connectionId: null, instanceId: instance.id })
          }
        >
          Connect
        </Button>
        <Button onClick={() => navigate({ name: 'domains', instanceId: instance.id })}>
          Custom domains
        </Button>
        {!renaming && (
          <Button
            onClick={() => {
              setNewName(instance.name);
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
    </article>
  );
}
