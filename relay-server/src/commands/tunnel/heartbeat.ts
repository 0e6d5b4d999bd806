import { AppError } from '../../errors/appError.js';
import type { Services } from '../../services.js';
import type { InstanceRecord } from '../../store/types.js';

/** Mark the instance alive (the store's hot path: no whole-file rewrite per heartbeat). */
export async function heartbeat(deps: Services, instance: InstanceRecord) {
  if (!instance.publicKey) {
    throw new AppError(
      'TUNNEL_NOT_REGISTERED',
      'Register the tunnel first: POST /v1/tunnel/register',
    );
  }
  const wasConnected = instance.status === 'connected';
  const at = deps.clock.now().toISOString();
  await deps.store.instances.touch(instance.id, at);
  if (!wasConnected) deps.events.emit('instance-changed', { instanceId: instance.id });
  // After a silence the store still says connected: the liveness rule re-routes the edge now.
  else deps.liveness.recheck({ ...instance, lastSeen: at });
  return { status: 'ok' as const, next_heartbeat_in: deps.timing.heartbeatIntervalSeconds };
}

/** The agent is going away on purpose: the instance shows disconnected at once. */
export async function disconnectTunnel(deps: Services, instance: InstanceRecord) {
  await deps.store.instances.update(instance.id, { status: 'disconnected' });
  deps.events.emit('instance-changed', { instanceId: instance.id });
  return { status: 'disconnected' as const };
}
