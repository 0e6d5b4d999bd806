import { z } from 'zod';

/** ISO-8601 UTC timestamp as the API writes it, e.g. `2025-11-29T12:00:00.000Z`. */
export const Timestamp = z.iso.datetime();

/** Ids are a prefix and lower-case base-36 randomness, so an instance id is also a DNS label. */
export const UserId = z.string().regex(/^usr_[a-z0-9]{10,40}$/, 'must be a user id (usr_…)');
export const InstanceId = z
  .string()
  .regex(/^inst_[a-z0-9]{10,40}$/, 'must be an instance id (inst_…)');

export const Plan = z.enum(['free', 'pro', 'business']);
export type Plan = z.infer<typeof Plan>;
export const PaidPlan = z.enum(['pro', 'business']);
export type PaidPlan = z.infer<typeof PaidPlan>;

/** Stripe subscription statuses, plus `none` for an account that never subscribed. */
export const SubscriptionStatus = z.enum([
  'none',
  'active',
  'trialing',
  'past_due',
  'unpaid',
  'canceled',
  'incomplete',
  'incomplete_expired',
  'paused',
]);
export type SubscriptionStatus = z.infer<typeof SubscriptionStatus>;

/** Words no customer may take as a subdomain: they name our own services or invite phishing. */
export const RESERVED_SUBDOMAINS: ReadonlySet<string> = new Set([
  'www',
  'api',
  'admin',
  'app',
  'connect',
  'tunnel',
  'mail',
  'dashboard',
  'smtp',
  'imap',
  'pop',
  'ftp',
  'ns',
  'ns1',
  'ns2',
  'dns',
  'mx',
  'status',
  'support',
  'help',
  'docs',
  'blog',
  'billing',
  'login',
  'auth',
  'account',
  'accounts',
  'root',
  'relay',
  'edge',
  'cdn',
  'static',
  'assets',
  'wireguard',
  'wg',
  'vpn',
  'cloud',
  'console',
  'portal',
  'secure',
  'security',
  'test',
  'dev',
  'staging',
  'internal',
  'localhost',
  'webmail',
  'autoconfig',
  'autodiscover',
  'postmaster',
  'hostmaster',
  'abuse',
  'noreply',
  'no-reply',
  'metrics',
  'health',
  'ask',
]);

/** A DNS label we hand out: a–z, 0–9 and inner hyphens, 3–63 characters. */
export const SUBDOMAIN_PATTERN = /^[a-z0-9](?:[a-z0-9-]{1,61})[a-z0-9]$/;

/**
 * Hyphens in the 3rd and 4th places mark a reserved LDH label (RFC 5891 §4.2.3.1), such as an
 * IDN A-label `xn--…`: a browser may show one as Unicode, a look-alike of a brand's name, so
 * none is handed out under the operator's domain.
 */
export const RESERVED_LDH_PATTERN = /^..--/;

export const Subdomain = z
  .string()
  .trim()
  .toLowerCase()
  .min(3, 'must be at least 3 characters')
  .max(63, 'must be at most 63 characters')
  .regex(
    SUBDOMAIN_PATTERN,
    'may contain only letters a–z, digits and hyphens, and may not start or end with a hyphen',
  )
  .refine(
    (s) => !RESERVED_LDH_PATTERN.test(s),
    'may not have hyphens in both the 3rd and 4th places (like xn--…): such names are reserved for internationalised domain names',
  );

/** A fully-qualified hostname a customer owns, normalised to lower case without a trailing dot. */
export const DomainName = z
  .string()
  .trim()
  .toLowerCase()
  .transform((s) => s.replace(/\.$/, ''))
  .pipe(
    z
      .string()
      .max(253, 'must be at most 253 characters')
      .regex(
        /^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/,
        'must be a domain name such as share.example.com',
      ),
  );

/** The shape of a WireGuard key (`wg genkey`, `wg pubkey`): 32 bytes in padded base64, 44 chars. */
export const WIREGUARD_KEY_PATTERN = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

/** A WireGuard public key: 32 bytes, base64 (44 characters ending in `=`). */
export const WireGuardKey = z
  .string()
  .regex(WIREGUARD_KEY_PATTERN, 'must be a WireGuard key: 32 bytes in base64');

export const Message = z.object({ message: z.string() });
