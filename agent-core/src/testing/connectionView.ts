import type { ConnectionView } from '../desktop/desktopApi.js';
import { idleStatus } from '../status/idleStatus.js';

/**
 * A saved connection as the DesktopApi shows it, idle unless `status` says otherwise; tests
 * override the fields they are about (the tray, the status files, the renderer's screens).
 */
export function connectionView(
  overrides: Partial<Omit<ConnectionView, 'status'>> & {
    status?: Partial<ConnectionView['status']>;
  } = {},
): ConnectionView {
  const { status, ...rest } = overrides;
  return {
    id: 'conn_abc123',
    name: 'Photos',
    kind: 'cloudflare',
    instanceId: null,
    transport: null,
    target: 'http://localhost:8080',
    enabled: true,
    hasToken: true,
    publicUrl: null,
    relay: null,
    createdAt: '2025-06-01T10:00:00.000Z',
    updatedAt: '2025-06-01T10:00:00.000Z',
    ...rest,
    status: { ...idleStatus('cloudflare'), ...status },
  };
}
