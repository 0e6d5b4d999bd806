import { z } from 'zod';
import { Subdomain } from './common.js';

export const SubdomainCheckQuery = z.strictObject({ subdomain: Subdomain });
export const SubdomainCheckResponse = z.object({
  subdomain: z.string(),
  available: z.boolean(),
  /** Why it is not available: taken by someone, or a reserved word. */
  reason: z.enum(['taken', 'reserved']).optional(),
  suggestions: z.array(z.string()).optional(),
});
export type SubdomainCheckResponse = z.infer<typeof SubdomainCheckResponse>;
