import type { InstanceListItem } from '@cloud-connect/agent-core/api';
import type { ConnectionView } from '@cloud-connect/agent-core/desktop';
import {
  connectionStatusWords,
  instanceStatusWords,
  transportWords,
  type StatusWords,
} from '@cloud-connect/agent-core/status';

/** A state in words (the one mapping in agent-core/status) and the address a browser opens. */
export interface StatusView extends StatusWords {
  publicUrl: string | null;
}

/** This app's running relay connection for the instance that has heard from the relay. */
function reportingConnection(
  instanceId: string,
  connections: readonly ConnectionView[],
): ConnectionView | undefined {
  return connections.find(
    (c) =>
      c.kind === 'relay' &&
      c.instanceId === instanceId &&
      c.status.status !== 'disconnected' &&
      c.relay !== null,
  );
}

/**
 * An instance card's state. While this app runs a tunnel for the instance, its connection
 * carries the relay's newest word (the Manager pushes every change) and the card shows exactly
 * what the connection card shows; otherwise the relay's answer from the last list load.
 */
export function instanceStatusView(
  instance: InstanceListItem,
  connections: readonly ConnectionView[],
): StatusView {
  const local = reportingConnection(instance.id, connections);
  return {
    ...(local ? connectionStatusWords(local) : instanceStatusWords(instance)),
    publicUrl: instance.public_url ?? local?.publicUrl ?? null,
  };
}

/** A connection card's state: the relay's model while it runs, in the same words. */
export function connectionStatusView(connection: ConnectionView): StatusView {
  return { ...connectionStatusWords(connection), publicUrl: connection.publicUrl };
}

/**
 * A relay connection's transport as its card says it (the CLI's status says the same): the
 * path in use and, for auto, why, or the choice while it does not run; null for Cloudflare.
 */
export function connectionTransportView(connection: ConnectionView): string | null {
  return transportWords(connection)?.summary ?? null;
}
