import type { ConnectionView } from '@cloud-connect/agent-core/desktop';
import { TRANSPORT_DETAILS } from '@cloud-connect/agent-core/status';
import { Button } from '../components/Button.js';
import { CardList } from '../components/CardList.js';
import { ErrorMessage } from '../components/ErrorMessage.js';
import { formatDateTime, formatDuration } from '../components/formatTime.js';
import { ItemCard, PublicAddressFact, StatusSummary } from '../components/ItemCard.js';
import { RemoveButton } from '../components/RemoveButton.js';
import { RouteLink } from '../components/RouteLink.js';
import { ScreenTitle } from '../components/ScreenTitle.js';
import { TestResult } from '../components/TestResult.js';
import { useNow } from '../components/useNow.js';
import { tunnelErrorWords } from '../store/friendlyError.js';
import { connectionStatusView, connectionTransportView } from '../store/statusSelectors.js';
import { useAppStore, useRequest } from '../store/StoreProvider.js';

/** Every connection with its live status (pushed by the host, never polled). */
export function ConnectionsScreen() {
  const connections = useAppStore((s) => s.connections);
  const loaded = useAppStore((s) => s.connectionsLoaded);
  const loadRequest = useRequest('loadConnections');

  return (
    <section className="screen">
      <div className="screen-header">
        <ScreenTitle>Connections</ScreenTitle>
        <RouteLink
          variant="primary"
          to={{ name: 'connectionForm', connectionId: null, instanceId: null }}
        >
          Add connection
        </RouteLink>
      </div>
      <p className="lead">
        A connection carries one app on this computer to the internet: through the Cloud Connect
        relay to one of your instances, or through a Cloudflare Tunnel.
      </p>
      <CardList
        label="Your connections"
        items={connections}
        keyOf={(connection) => connection.id}
        request={loadRequest}
        loaded={loaded}
        loading="Loading connections…"
        empty={
          <div className="empty">
            <p>No connections yet.</p>
            <p className="muted">
              Add one for an instance you created, or paste a Cloudflare Tunnel token.
            </p>
          </div>
        }
      >
        {(connection) => <ConnectionCard id={connection.id} />}
      </CardList>
    </section>
  );
}

/** One connection: state, address, uptime ticking locally, reconnects, errors and controls. */
function ConnectionCard({ id }: { id: string }) {
  const connection = useAppStore((s) => s.connections.find((c) => c.id === id));
  const receivedAt = useAppStore((s) => s.statusReceivedAt[id] ?? 0);
  const instance = useAppStore((s) =>
    connection?.instanceId ? s.instances.find((i) => i.id === connection.instanceId) : undefined,
  );
  const connect = useAppStore((s) => s.connect);
  const disconnect = useAppStore((s) => s.disconnect);
  const removeConnection = useAppStore((s) => s.removeConnection);
  const testConnection = useAppStore((s) => s.testConnection);
  const testResult = useAppStore((s) => s.testResults[id]);
  const connectRequest = useRequest(`connect:${id}`);
  const disconnectRequest = useRequest(`disconnect:${id}`);
  const removeRequest = useRequest(`removeConnection:${id}`);
  const testRequest = useRequest(`test:${id}`);

  const status = connection?.status;
  const ticking = Boolean(status && (status.is_connected || status.next_retry_at));
  const now = useNow(ticking);
  if (!connection || !status) return null;

  const state = connectionStatusView(connection);
  const transport = connectionTransportView(connection);
  const uptime = status.is_connected
    ? status.uptime_seconds + Math.max(0, (now - receivedAt) / 1000)
    : null;
  const retryIn = status.next_retry_at
    ? Math.max(0, (Date.parse(status.next_retry_at) - now) / 1000)
    : null;
  const hostnames = status.hostnames.length
    ? status.hostnames
    : status.hostname
      ? [status.hostname]
      : [];
  const lastError = tunnelErrorWords(status.error_code, status.error);

  return (
    <ItemCard
      title={connection.name}
      subtitle={
        <p className="muted">
          {kindWords(connection, instance?.name)}
          {connection.target && <> → {connection.target}</>}
        </p>
      }
      state={<StatusSummary view={state} className={`state state-${status.status}`} live />}
    >
      <dl className="facts">
        <PublicAddressFact
          url={state.publicUrl}
          otherwise={hostnames.length === 0 ? 'not known yet' : hostnames.join(', ')}
        />
        {transport && (
          <>
            <dt>Transport</dt>
            <dd>{transport}</dd>
          </>
        )}
        <dt>Uptime</dt>
        <dd>{uptime === null ? '—' : formatDuration(uptime)}</dd>
        <dt>Reconnects</dt>
        <dd>{status.reconnect_count}</dd>
        <dt>Last connected</dt>
        <dd>{formatDateTime(status.last_connected)}</dd>
        <dt>Starts with the app</dt>
        <dd>{connection.enabled ? 'yes' : 'no'}</dd>
        {lastError && (
          <>
            <dt>Last error</dt>
            <dd className="error-text">{lastError}</dd>
          </>
        )}
        {retryIn !== null && (
          <>
            <dt>Next retry</dt>
            <dd>in {formatDuration(retryIn)}</dd>
          </>
        )}
        {Object.entries(status.details)
          .filter(([key]) => !TRANSPORT_DETAILS.has(key))
          .map(([key, value]) => (
            <DetailRow key={key} name={key} value={value} />
          ))}
      </dl>
      <TestResult result={testResult} pending={testRequest.pending} />
      <ErrorMessage error={testRequest.error} />
      <ErrorMessage error={connectRequest.error} />
      <ErrorMessage error={disconnectRequest.error} />
      <ErrorMessage error={removeRequest.error} />
      <div className="actions">
        {status.is_running || status.status === 'connecting' ? (
          <Button busy={disconnectRequest.pending} onClick={() => void disconnect(id)}>
            Disconnect
          </Button>
        ) : (
          <Button variant="primary" busy={connectRequest.pending} onClick={() => void connect(id)}>
            Connect
          </Button>
        )}
        <Button busy={testRequest.pending} onClick={() => void testConnection(id, { id })}>
          Test connection
        </Button>
        <RouteLink
          variant="secondary"
          to={{ name: 'connectionForm', connectionId: id, instanceId: null }}
        >
          Edit
        </RouteLink>
        <RemoveButton
          name={connection.name}
          what="connection"
          busy={removeRequest.pending}
          onConfirm={() => removeConnection(id)}
        >
          <p>The tunnel is stopped and its saved token is deleted from this computer.</p>
        </RemoveButton>
      </div>
    </ItemCard>
  );
}

function kindWords(connection: ConnectionView, instanceName: string | undefined): string {
  return connection.kind === 'relay'
    ? `Relay to ${instanceName ?? connection.instanceId ?? 'an instance'}`
    : 'Cloudflare Tunnel';
}

/** A driver-specific figure (latency, handshake age…), named in words. */
function DetailRow({ name, value }: { name: string; value: number | string | null }) {
  if (value === null || value === '') return null;
  // `handshake_age_s` → "Handshake age (s)", `latency_ms` → "Latency (ms)"; drivers also send
  // camelCase (`readyConnections` → "Ready connections").
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/_seconds$/, '_s')
    .replace(/_(ms|s)$/, ' ($1)')
    .replace(/_/g, ' ');
  return (
    <>
      <dt>{words.charAt(0).toUpperCase() + words.slice(1)}</dt>
      <dd>{String(value)}</dd>
    </>
  );
}
