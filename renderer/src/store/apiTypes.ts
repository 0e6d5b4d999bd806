import type { ConnectionView, DesktopApi } from '@cloud-connect/agent-core/desktop';

// Types reached through the DesktopApi itself, so the renderer depends on one entry point.

/** The value of a successful call of a DesktopApi method. */
export type ValueOf<M extends keyof DesktopApi> = DesktopApi[M] extends (
  ...args: never[]
) => Promise<infer R>
  ? Extract<R, { ok: true }> extends { value: infer V }
    ? V
    : never
  : never;

/** A connectivity test's outcome (seed 000 P13-2.4). */
export type TunnelTestResult = ValueOf<'testConnection'>;
/** A tunnel's live status (seed 000 P13-2.3 plus kind, error code, next retry). */
export type TunnelStatus = ConnectionView['status'];
