import type { DomainListItem } from '@cloud-connect/agent-core/api';
import type { FormEvent } from 'react';
import { useEffect, useState } from 'react';
import { Button } from '../components/Button.js';
import { ConfirmButton } from '../components/ConfirmButton.js';
import { CopyButton } from '../components/CopyButton.js';
import { ErrorMessage } from '../components/ErrorMessage.js';
import { Field } from '../components/Field.js';
import { formatDateTime, formatRelative } from '../components/formatTime.js';
import { ScreenTitle } from '../components/ScreenTitle.js';
import { StatusDot } from '../components/StatusDot.js';
import { domainKey } from '../store/domainsSlice.js';
import { IDLE } from '../store/requests.js';
import { useAppStore } from '../store/StoreProvider.js';

const NO_DOMAINS: DomainListItem[] = [];

const SSL_WORDS: Record<DomainListItem['ssl_status'], string> = {
  pending: 'waiting for verification',
  provisioning: 'being issued',
  active: 'active',
};

/** Custom domains of one instance: add, the CNAME to create, verify, status, remove. */
export function DomainsScreen({ instanceId }: { instanceId: string }) {
  const instance = useAppStore((s) => s.instances.find((i) => i.id === instanceId));
  const domains = useAppStore((s) => s.domainsByInstance[instanceId] ?? NO_DOMAINS);
  const loadDomains = useAppStore((s) => s.loadDomains);
  const loadRequest = useAppStore((s) => s.requests[`loadDomains:${instanceId}`] ?? IDLE);
  const navigate = useAppStore((s) => s.navigate);
  const plan = useAppStore((s) => s.session?.user?.subscription_plan ?? 'free');

  useEffect(() => {
    void loadDomains(instanceId);
  }, [loadDomains, instanceId]);

  const name = instance?.name ?? 'this instance';
  return (
    <section className="screen">
      <Button variant="link" onClick={() => navigate({ name: 'instances' })}>
        ← Back to instances
      </Button>
      <ScreenTitle>Custom domains for {name}</ScreenTitle>
      <p className="lead">
        Serve {name} under a domain you own, such as <code>share.example.com</code>, as well as{' '}
        <code>{instance?.subdomain ?? 'its subdomain'}</code>.
      </p>
      {plan === 'free' && (
        <div className="message message-info">
          <p>Custom domains come with the Pro (1 per instance) and Business (5) plans.</p>
          <Button variant="link" onClick={() => navigate({ name: 'plans' })}>
            See plans
          </Button>
        </div>
      )}
      <AddDomainForm instanceId={instanceId} />
      <ErrorMessage error={loadRequest.error} />
      {loadRequest.pending && domains.length === 0 && (
        <p role="status">
          <span className="spinner" aria-hidden="true" /> Loading domains…
        </p>
      )}
      <ul className="card-list" aria-label="Custom domains">
        {domains.map((domain) => (
          <li key={domain.domain}>
            <DomainCard instanceId={instanceId} domain={domain} />
          </li>
        ))}
      </ul>
    </section>
  );
}

function AddDomainForm({ instanceId }: { instanceId: string }) {
  const addDomain = useAppStore((s) => s.addDomain);
  const request = useAppStore((s) => s.requests[`addDomain:${instanceId}`] ?? IDLE);
  const [domain, setDomain] = useState('');

  async function handleSubmit(event: FormEvent) {
    event.preventDefault();
    if (await addDomain(instanceId, domain)) setDomain('');
  }

  return (
    <form onSubmit={handleSubmit} noValidate className="form form-row panel">
      <Field
        label="Domain"
        placeholder="share.example.com"
        autoComplete="off"
        spellCheck={false}
        value={domain}
        onChange={(e) => setDomain(e.target.value)}
        error={request.error?.fields.domain}
      />
      <div className="actions">
        <Button type="submit" variant="primary" busy={request.pending}>
          Add domain
        </Button>
      </div>
      <ErrorMessage error={request.error} />
    </form>
  );
}

/** A name this instance no longer holds: why, and a button to dismiss the notice. */
function ReleasedCard({ instanceId, domain }: { instanceId: string; domain: DomainListItem }) {
  const removeDomain = useAppStore((s) => s.removeDomain);
  const key = domainKey(instanceId, domain.domain);
  const removeRequest = useAppStore((s) => s.requests[`removeDomain:${key}`] ?? IDLE);
  const titleId = `domain-${domain.domain}`;
  return (
    <article className="card" aria-labelledby={titleId}>
      <header className="card-header">
        <h2 id={titleId}>{domain.domain}</h2>
        <p className="state" role="status">
          <StatusDot tone="error" />{' '}
          {domain.release_reason === 'claimed_elsewhere'
            ? 'Claimed by another account'
            : 'Released: not verified in time'}
          {domain.released_at && ` ${formatRelative(domain.released_at)}`}
        </p>
      </header>
      {domain.error && <p>{domain.error}</p>}
      <ErrorMessage error={removeRequest.error} />
      <div className="actions">
        <Button
          busy={removeRequest.pending}
          onClick={() => void removeDomain(instanceId, domain.domain)}
        >
          Dismiss
        </Button>
      </div>
    </article>
  );
}

function DomainCard({ instanceId, domain }: { instanceId: string; domain: DomainListItem }) {
  if (domain.status === 'released') return <ReleasedCard instanceId={instanceId} domain={domain} />;
  return <ClaimCard instanceId={instanceId} domain={domain} />;
}

function ClaimCard({ instanceId, domain }: { instanceId: string; domain: DomainListItem }) {
  const verifyDomain = useAppStore((s) => s.verifyDomain);
  const removeDomain = useAppStore((s) => s.removeDomain);
  const key = domainKey(instanceId, domain.domain);
  const verifyRequest = useAppStore((s) => s.requests[`verifyDomain:${key}`] ?? IDLE);
  const removeRequest = useAppStore((s) => s.requests[`removeDomain:${key}`] ?? IDLE);
  const verified = domain.status === 'verified';
  const titleId = `domain-${domain.domain}`;

  return (
    <article className="card" aria-labelledby={titleId}>
      <header className="card-header">
        <h2 id={titleId}>{domain.domain}</h2>
        <p className="state" role="status">
          <StatusDot tone={verified ? 'ok' : 'busy'} />{' '}
          {verified ? 'Verified' : 'Pending verification'}
        </p>
      </header>
      <dl className="facts">
        <dt>HTTPS certificate</dt>
        <dd>{SSL_WORDS[domain.ssl_status]}</dd>
        {verified && (
          <>
            <dt>Verified</dt>
            <dd>{formatDateTime(domain.verified_at)}</dd>
          </>
        )}
        {!verified && domain.expires_at && (
          <>
            <dt>Claim expires</dt>
            <dd title={formatDateTime(domain.expires_at)}>
              {formatRelative(domain.expires_at)}: verify before then, or anyone may claim the name
            </dd>
          </>
        )}
        {domain.error && !verified && (
          <>
            <dt>Last check</dt>
            <dd className="error-text">{domain.error}</dd>
          </>
        )}
      </dl>
      {!verified && (
        <>
          <p>Add this record at your DNS provider, then press Verify:</p>
          <table className="dns-table">
            <caption className="visually-hidden">DNS record for {domain.domain}</caption>
            <thead>
              <tr>
                <th scope="col">Type</th>
                <th scope="col">Name</th>
                <th scope="col">Value</th>
              </tr>
            </thead>
            <tbody>
              <tr>
                <td>{domain.verification.type}</td>
                <td>
                  <code>{domain.verification.name}</code>{' '}
                  <CopyButton label="Copy name" text={domain.verification.name} />
                </td>
                <td>
                  <code>{domain.verification.value}</code>{' '}
                  <CopyButton label="Copy value" text={domain.verification.value} />
                </td>
              </tr>
            </tbody>
          </table>
          {domain.verification.instructions && (
            <p className="muted">{domain.verification.instructions}</p>
          )}
        </>
      )}
      <ErrorMessage error={verifyRequest.error} />
      <ErrorMessage error={removeRequest.error} />
      <div className="actions">
        {!verified && (
          <Button
            variant="primary"
            busy={verifyRequest.pending}
            onClick={() => void verifyDomain(instanceId, domain.domain)}
          >
            Verify
          </Button>
        )}
        <ConfirmButton
          label="Remove"
          title={`Remove ${domain.domain}?`}
          confirmLabel="Remove domain"
          busy={removeRequest.pending}
          onConfirm={() => removeDomain(instanceId, domain.domain)}
        >
          <p>The domain stops reaching your app at once. You can add it again later.</p>
        </ConfirmButton>
      </div>
    </article>
  );
}
