import { ResetPasswordRequest, VerifyEmailRequest } from '@cloud-connect/agent-core/api';
import type { z } from 'zod';

type Json = Record<string, unknown>;

/** JSON Schema of a zod schema, with named schemas moved into the document's components. */
export type SchemaOf = (s: z.ZodType, io: 'input' | 'output') => Json;

const html = (description: string) => ({ description, content: { 'text/html': {} } });

const tokenInQuery = {
  name: 'token',
  in: 'query',
  required: true,
  description: "The one-time token from the email's link. The page only puts it in a form.",
  schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{43}$' },
};

/**
 * The relay's routes outside the JSON API, described so the document covers everything the
 * relay answers: the pages that email links open (a form whose button posts the token, so mail
 * scanners that prefetch links change nothing) and the Prometheus metrics.
 */
export function relayPageOperations(
  schemaOf: SchemaOf,
  errorRef: Json,
): Record<string, Record<string, Json>> {
  const rateLimited = {
    description: 'RATE_LIMITED: too many tries from this address; see Retry-After',
    headers: { 'Retry-After': { schema: { type: 'integer' }, description: 'Seconds to wait' } },
    content: { 'application/json': { schema: errorRef } },
  };
  const form = (s: z.ZodType) => ({
    required: true,
    content: { 'application/x-www-form-urlencoded': { schema: schemaOf(s, 'input') } },
  });
  return {
    '/verify-email': {
      get: {
        operationId: 'verifyEmailPage',
        summary: 'The page the verification email links to',
        description: 'Shows a button that posts the token; opening the link changes nothing.',
        security: [],
        parameters: [tokenInQuery],
        responses: {
          '200': html('A form that confirms the address when posted'),
          '400': html('The link has no token or a damaged one (e.g. cut by a mail program)'),
        },
      },
      post: {
        operationId: 'verifyEmailForm',
        summary: "Confirm an email address from the page's form",
        security: [],
        requestBody: form(VerifyEmailRequest),
        responses: {
          '200': html('The address is confirmed'),
          '400': html('The link is not valid (expired, used or unknown)'),
          '429': rateLimited,
        },
      },
    },
    '/reset-password': {
      get: {
        operationId: 'resetPasswordPage',
        summary: 'The page the password-reset email links to',
        description: 'Shows a form for the new password; opening the link changes nothing.',
        security: [],
        parameters: [tokenInQuery],
        responses: {
          '200': html('A form that sets a new password when posted'),
          '400': html('The link has no token or a damaged one (e.g. cut by a mail program)'),
        },
      },
      post: {
        operationId: 'resetPasswordForm',
        summary: "Set a new password from the page's form",
        description:
          'The same rules as POST /v1/auth/reset-password; on success every session of the account is signed out.',
        security: [],
        requestBody: form(ResetPasswordRequest),
        responses: {
          '200': html('The password is changed'),
          '400': html('The form again, with what was wrong'),
          '429': rateLimited,
        },
      },
    },
    '/metrics': {
      get: {
        operationId: 'metrics',
        summary: 'Prometheus metrics',
        description:
          'Active tunnels, request latency, failed registrations and webhook failures in the Prometheus text format. Public unless the relay sets METRICS_TOKEN; then only a scraper that sends it as a bearer token.',
        security: [{}, { metricsToken: [] }],
        responses: {
          '200': {
            description: 'Prometheus text exposition format 0.0.4',
            content: { 'text/plain; version=0.0.4': { schema: { type: 'string' } } },
          },
          '401': {
            description:
              'UNAUTHORIZED: the relay sets METRICS_TOKEN and the request did not send it',
            content: { 'application/json': { schema: errorRef } },
          },
        },
      },
    },
  };
}
