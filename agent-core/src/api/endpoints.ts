import type { z } from 'zod';
import * as auth from './auth.js';
import * as billing from './billing.js';
import * as domains from './domains.js';
import type { ErrorCode } from './errors.js';
import * as instances from './instances.js';
import * as ops from './ops.js';
import * as subdomains from './subdomains.js';
import * as tunnel from './tunnel.js';
import * as user from './user.js';

/** Who may call an endpoint: anyone, a signed-in user, an instance (agent), or Stripe. */
export type AuthKind = 'none' | 'user' | 'instance' | 'stripe';
export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface Endpoint {
  method: HttpMethod;
  /** Path below `/v1`, with `:name` parameters. */
  path: string;
  auth: AuthKind;
  summary: string;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** Success status; 204 has no body, `html` endpoints answer a page. */
  status: 200 | 201 | 204;
  response?: z.ZodType;
  html?: true;
  /** Error codes this endpoint answers with besides VALIDATION_ERROR, RATE_LIMITED and INTERNAL. */
  errors: readonly ErrorCode[];
}

const e = <const T extends Endpoint>(def: T): T => def;

/**
 * The Cloud API, one entry per endpoint of seed 003 (plus SPEC.md's additions).
 * relay-server mounts and validates from this table, the OpenAPI document is built from it,
 * and agent-core's client takes its types from it.
 */
export const endpoints = {
  register: e({
    method: 'POST',
    path: '/auth/register',
    auth: 'none',
    // A taken email gets the same 201 (its owner is mailed instead): no EMAIL_ALREADY_REGISTERED.
    summary: 'Create an account and send a verification email; a taken email gets the same answer',
    body: auth.RegisterRequest,
    status: 201,
    response: auth.RegisterResponse,
    errors: [],
  }),
  login: e({
    method: 'POST',
    path: '/auth/login',
    auth: 'none',
    summary: 'Sign in and receive an access and a refresh token',
    body: auth.LoginRequest,
    status: 200,
    response: auth.LoginResponse,
    errors: ['UNAUTHORIZED'],
  }),
  refresh: e({
    method: 'POST',
    path: '/auth/refresh',
    auth: 'none',
    summary: 'Exchange a refresh token for a new access token (the refresh token rotates)',
    body: auth.RefreshRequest,
    status: 200,
    response: auth.RefreshResponse,
    errors: ['UNAUTHORIZED'],
  }),
  forgotPassword: e({
    method: 'POST',
    path: '/auth/forgot-password',
    auth: 'none',
    summary: 'Email a password reset link, if the account exists',
    body: auth.ForgotPasswordRequest,
    status: 200,
    response: auth.MessageResponse,
    errors: [],
  }),
  resetPassword: e({
    method: 'POST',
    path: '/auth/reset-password',
    auth: 'none',
    summary: 'Set a new password with the token from the reset email',
    body: auth.ResetPasswordRequest,
    status: 200,
    response: auth.MessageResponse,
    errors: [],
  }),
  verifyEmail: e({
    method: 'POST',
    path: '/auth/verify-email',
    auth: 'none',
    summary: 'Confirm an email address with the token from the verification email',
    body: auth.VerifyEmailRequest,
    status: 200,
    response: auth.VerifyEmailResponse,
    errors: [],
  }),
  resendVerification: e({
    method: 'POST',
    path: '/auth/resend-verification',
    auth: 'none',
    summary: 'Send the verification email again, if the account exists and is unverified',
    body: auth.ResendVerificationRequest,
    status: 200,
    response: auth.MessageResponse,
    errors: [],
  }),

  getUser: e({
    method: 'GET',
    path: '/user',
    auth: 'user',
    summary: 'The signed-in user',
    status: 200,
    response: user.UserProfile,
    errors: ['UNAUTHORIZED'],
  }),
  updateUser: e({
    method: 'PATCH',
    path: '/user',
    auth: 'user',
    summary: 'Change the user profile',
    body: user.UpdateUserRequest,
    status: 200,
    response: user.UpdateUserResponse,
    errors: ['UNAUTHORIZED'],
  }),

  checkout: e({
    method: 'POST',
    path: '/billing/checkout',
    auth: 'user',
    summary: 'Start a Stripe Checkout session for a plan',
    body: billing.CheckoutRequest,
    status: 200,
    response: billing.CheckoutResponse,
    errors: ['UNAUTHORIZED', 'BILLING_NOT_CONFIGURED', 'SERVICE_UNAVAILABLE'],
  }),
  getSubscription: e({
    method: 'GET',
    path: '/billing/subscription',
    auth: 'user',
    summary: 'The current subscription',
    status: 200,
    response: billing.Subscription,
    errors: ['UNAUTHORIZED'],
  }),
  portal: e({
    method: 'POST',
    path: '/billing/portal',
    auth: 'user',
    summary: 'Open the Stripe Customer Portal',
    body: billing.PortalRequest,
    status: 200,
    response: billing.PortalResponse,
    errors: [
      'UNAUTHORIZED',
      'SUBSCRIPTION_REQUIRED',
      'BILLING_NOT_CONFIGURED',
      'SERVICE_UNAVAILABLE',
    ],
  }),
  webhook: e({
    method: 'POST',
    path: '/billing/webhook',
    auth: 'stripe',
    summary: 'Stripe webhook (signature-verified)',
    status: 200,
    response: billing.WebhookResponse,
    errors: ['WEBHOOK_SIGNATURE_INVALID', 'BILLING_NOT_CONFIGURED'],
  }),
  billingSuccess: e({
    method: 'GET',
    path: '/billing/success',
    auth: 'none',
    summary: 'Page Stripe redirects to after payment',
    status: 200,
    html: true,
    errors: [],
  }),
  billingCancel: e({
    method: 'GET',
    path: '/billing/cancel',
    auth: 'none',
    summary: 'Page Stripe redirects to when checkout is cancelled',
    status: 200,
    html: true,
    errors: [],
  }),
  billingReturn: e({
    method: 'GET',
    path: '/billing/return',
    auth: 'none',
    summary: 'Page the Stripe Customer Portal returns to',
    status: 200,
    html: true,
    errors: [],
  }),

  listInstances: e({
    method: 'GET',
    path: '/instances',
    auth: 'user',
    summary: "The user's instances",
    status: 200,
    response: instances.InstanceList,
    errors: ['UNAUTHORIZED'],
  }),
  createInstance: e({
    method: 'POST',
    path: '/instances',
    auth: 'user',
    summary: 'Create an instance; the instance token is in this response only',
    body: instances.CreateInstanceRequest,
    status: 201,
    response: instances.CreateInstanceResponse,
    errors: ['UNAUTHORIZED', 'EMAIL_NOT_VERIFIED', 'SUBDOMAIN_TAKEN', 'LIMIT_EXCEEDED'],
  }),
  getInstance: e({
    method: 'GET',
    path: '/instances/:instance_id',
    auth: 'user',
    summary: 'One instance',
    params: instances.InstanceParams,
    status: 200,
    response: instances.InstanceDetail,
    errors: ['UNAUTHORIZED', 'NOT_FOUND'],
  }),
  updateInstance: e({
    method: 'PATCH',
    path: '/instances/:instance_id',
    auth: 'user',
    summary: 'Rename an instance or change its subdomain',
    params: instances.InstanceParams,
    body: instances.UpdateInstanceRequest,
    status: 200,
    response: instances.UpdateInstanceResponse,
    errors: ['UNAUTHORIZED', 'NOT_FOUND', 'SUBDOMAIN_TAKEN'],
  }),
  deleteInstance: e({
    method: 'DELETE',
    path: '/instances/:instance_id',
    auth: 'user',
    summary: 'Delete an instance and revoke its tunnel at once',
    params: instances.InstanceParams,
    status: 204,
    errors: ['UNAUTHORIZED', 'NOT_FOUND'],
  }),
  regenerateToken: e({
    method: 'POST',
    path: '/instances/:instance_id/regenerate-token',
    auth: 'user',
    summary: 'Issue a new instance token; the old one stops working at once',
    params: instances.InstanceParams,
    status: 200,
    response: instances.RegenerateTokenResponse,
    errors: ['UNAUTHORIZED', 'NOT_FOUND'],
  }),

  checkSubdomain: e({
    method: 'GET',
    path: '/subdomains/check',
    auth: 'user',
    summary: 'Is a subdomain available? Suggestions when not',
    query: subdomains.SubdomainCheckQuery,
    status: 200,
    response: subdomains.SubdomainCheckResponse,
    errors: ['UNAUTHORIZED'],
  }),

  addDomain: e({
    method: 'POST',
    path: '/instances/:instance_id/domains',
    auth: 'user',
    summary: 'Add a custom domain; answers the CNAME record to create',
    params: instances.InstanceParams,
    body: domains.AddDomainRequest,
    status: 201,
    response: domains.AddDomainResponse,
    errors: [
      'UNAUTHORIZED',
      'NOT_FOUND',
      'DOMAIN_ALREADY_EXISTS',
      'SUBSCRIPTION_REQUIRED',
      'LIMIT_EXCEEDED',
    ],
  }),
  listDomains: e({
    method: 'GET',
    path: '/instances/:instance_id/domains',
    auth: 'user',
    summary: "An instance's custom domains",
    params: instances.InstanceParams,
    status: 200,
    response: domains.DomainList,
    errors: ['UNAUTHORIZED', 'NOT_FOUND'],
  }),
  verifyDomain: e({
    method: 'POST',
    path: '/instances/:instance_id/domains/:domain/verify',
    auth: 'user',
    summary: "Check the domain's CNAME now",
    params: domains.DomainParams,
    status: 200,
    response: domains.VerifyDomainResponse,
    errors: ['UNAUTHORIZED', 'NOT_FOUND', 'DNS_VERIFICATION_FAILED'],
  }),
  deleteDomain: e({
    method: 'DELETE',
    path: '/instances/:instance_id/domains/:domain',
    auth: 'user',
    summary:
      'Remove a custom domain (it stops routing at once), or dismiss a released entry of the list',
    params: domains.DomainParams,
    status: 204,
    errors: ['UNAUTHORIZED', 'NOT_FOUND'],
  }),

  registerTunnel: e({
    method: 'POST',
    path: '/tunnel/register',
    auth: 'instance',
    summary: "Register the instance's WireGuard public key; answers the tunnel configuration",
    body: tunnel.RegisterTunnelRequest,
    status: 200,
    response: tunnel.RegisterTunnelResponse,
    errors: ['UNAUTHORIZED'],
  }),
  heartbeat: e({
    method: 'POST',
    path: '/tunnel/heartbeat',
    auth: 'instance',
    summary: 'Report the instance alive',
    body: tunnel.HeartbeatRequest,
    status: 200,
    response: tunnel.HeartbeatResponse,
    errors: ['UNAUTHORIZED', 'TUNNEL_NOT_REGISTERED'],
  }),
  disconnectTunnel: e({
    method: 'POST',
    path: '/tunnel/disconnect',
    auth: 'instance',
    summary: 'Mark the tunnel disconnected on purpose',
    status: 200,
    response: tunnel.DisconnectResponse,
    errors: ['UNAUTHORIZED'],
  }),
  tunnelStatus: e({
    method: 'GET',
    path: '/tunnel/status',
    auth: 'instance',
    summary: 'Tunnel and domain status as the relay sees it',
    status: 200,
    response: tunnel.TunnelStatusResponse,
    errors: ['UNAUTHORIZED'],
  }),

  health: e({
    method: 'GET',
    path: '/health',
    auth: 'none',
    summary: 'Store, WireGuard and edge health',
    status: 200,
    response: ops.HealthResponse,
    errors: ['SERVICE_UNAVAILABLE'],
  }),
} as const satisfies Record<string, Endpoint>;

export type Endpoints = typeof endpoints;
export type EndpointName = keyof Endpoints;

type Infer<T> = T extends z.ZodType ? z.output<T> : undefined;
type InferIn<T> = T extends z.ZodType ? z.input<T> : undefined;

/** The parsed request parts a handler receives. */
export type RequestOf<N extends EndpointName> = {
  params: Infer<Endpoints[N] extends { params: infer P } ? P : undefined>;
  query: Infer<Endpoints[N] extends { query: infer Q } ? Q : undefined>;
  body: Infer<Endpoints[N] extends { body: infer B } ? B : undefined>;
};
/** What a caller sends (before defaults and transforms). */
export type RequestInputOf<N extends EndpointName> = {
  params: InferIn<Endpoints[N] extends { params: infer P } ? P : undefined>;
  query: InferIn<Endpoints[N] extends { query: infer Q } ? Q : undefined>;
  body: InferIn<Endpoints[N] extends { body: infer B } ? B : undefined>;
};
export type ResponseOf<N extends EndpointName> = Endpoints[N] extends { response: infer R }
  ? Infer<R>
  : undefined;
