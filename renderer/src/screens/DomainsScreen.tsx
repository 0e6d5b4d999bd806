import type { DomainListItem } from '@cloud-connect/agent-core/api';
import type { ReactNode } from 'react';
import { useEffect } from 'react';
import { Button } from '../components/Button.js';
import { CardList } from '../components/CardList.js';
import { CopyButton } from '../components/CopyButton.js';
import { ErrorMessage } from '../components/ErrorMessage.js';
import { Field } from '../components/Field.js';
import { Form } from '../components/Form.js';
import { formatDateTime, formatRelative } from '../components/formatTime.js';
import { ItemCard } from '../components/ItemCard.js';
import { RemoveButton } from '../components/RemoveButton.js';
import { RouteLink } from '../components/RouteLink.js';
import { ScreenTitle } from '../components/ScreenTitle.js';
import type { StatusTone } from '../components/StatusDot.js';
import { StatusDot } from '../components/StatusDot.js';
import { SubmitRow } from '../components/SubmitRow.js';
import { useFormValues } from '../components/useFormValues.js';
import { domainKey } from '../store/domainsSlice.js';
import { useAppStore, useRequest } from '../store/StoreProvider.js';

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
  const loadRequest = useRequest(`loadDomains:${instanceId}`);
  const plan = useAppStore((s) => s.session?.user?.subscription_plan ?? 'free');

  useEffect(() => {
    void loadDomains(instanceId);
  }, [loadDomains, instanceId]);

  const name = instance?.name ?? 'this instance';
  return (
    <section className="screen">
      <RouteLink to={{ name: 'instances' }}>← Back to instances</RouteLink>
      <ScreenTitle>Custom domains for {name}</ScreenTitle>
      <p className="lead">
        Serve {name} under a domain you own, such as <code>share.example.com</code>, as well as{' '}
        <code>{instance?.subdomain ?? 'its subdomain'}</code>.
      </p>
      {plan === 'free' && (
        <div className="message message-info">
          <p>Custom domains come with the Pro (1 per instance) and Business (5) plans.</p>
          <RouteLink to={{ name: 'plans' }}>See plans</RouteLink>
        </div>
      )}
      <AddDomainForm instanceId={instanceId} />
      {/* Domains are loaded on every visit: the spinner shows only while none are known. */}
      <CardList
        label="Custom domains"
        items={domains}
        keyOf={(domain) => domain.domain}
        request={loadRequest}
        loaded={domains.length > 0}
        loading="Loading domains…"
      >
        {(domain) => <DomainCard instanceId={instanceId} domain={domain} />}
      </CardList>
    </section>
  );
}

function AddDomainForm({ instanceId }: { instanceId: string }) {
  const addDomain = useAppStore((s) => s.addDomain);
  const request = useRequest(`addDomain:${instanceId}`);
  const form = useFormValues({ domain: '' }, request.error?.fields);

  async function handleSubmit() {
    if (await addDomain(instanceId, form.values.domain)) form.reset();
  }

  return (
    <Form onSubmit={handleSubmit} className="form form-row panel">
      <Field label="Domain" placeholder="share.example.com" verbatim {...form.text('domain')} />
      <SubmitRow label="Add domain" request={request} showError={false} />
      <ErrorMessage error={request.error} />
    </Form>
  );
}

/** A domain's state beside its name: a dot and words. */
function DomainState({ tone, children }: { tone: StatusTone; children: ReactNode }) {
  return (
    <p className="state" role="status">
      <StatusDot tone={tone} /> {children}
    </p>
  );
}

/** A name this instance no longer holds: why, and a button to dismiss the notice. */
function ReleasedCard({ instanceId, domain }: { instanceId: string; domain: DomainListItem }) {
  const removeDomain = useAppStore((s) => s.removeDomain);
  const key = domainKey(instanceId, domain.domain);
  const removeRequest = useRequest(`removeDomain:${key}`);
  return (
    <ItemCard
      title={domain.domain}
      state={
        <DomainState tone="error">
          {domain.release_reason === 'claimed_elsewhere'
            ? 'Claimed by another account'
            : 'Released: not verified in time'}
          {domain.released_at && ` ${formatRelative(domain.released_at)}`}
        </DomainState>
      }
    >
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
    </ItemCard>
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
  const verifyRequest = useRequest(`verifyDomain:${key}`);
  const removeRequest = useRequest(`removeDomain:${key}`);
  const verified = domain.status === 'verified';

  return (
    <ItemCard
      title={domain.domain}
      state={
        <DomainState tone={verified ? 'ok' : 'busy'}>
          {verified ? 'Verified' : 'Pending verification'}
        </DomainState>
      }
    >
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
        <RemoveButton
          name={domain.domain}
          what="domain"
          busy={removeRequest.pending}
          onConfirm={() => removeDomain(instanceId, domain.domain)}
        >
          <p>The domain stops reaching your app at once. You can add it again later.</p>
        </RemoveButton>
      </div>
    </ItemCard>
  );
}
