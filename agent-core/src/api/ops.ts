import { z } from 'zod';

const Check = z.object({ ok: z.boolean(), detail: z.string().optional() });
export const HealthResponse = z.object({
  status: z.enum(['ok', 'degraded']),
  checks: z.object({ store: Check, wireguard: Check, edge: Check }),
  version: z.string(),
  uptime_seconds: z.number(),
});
export type HealthResponse = z.infer<typeof HealthResponse>;
