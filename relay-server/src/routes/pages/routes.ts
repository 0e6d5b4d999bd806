import type Router from '@koa/router';
import {
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  ResetPasswordRequest,
} from '@cloud-connect/agent-core/api';
import { EMAIL_TOKEN_PATTERN } from '../../commands/auth/emailTokens.js';
import { resetPassword } from '../../commands/auth/passwordReset.js';
import { verifyEmail } from '../../commands/auth/verifyEmail.js';
import { AppError } from '../../errors/appError.js';
import type { AppContext, AppState } from '../../http/context.js';
import { rateLimit } from '../../http/rateLimit.js';
import { parsePart } from '../../http/validate.js';
import type { Services } from '../../services.js';
import { escapeHtml, page } from './page.js';

function formField(ctx: AppContext, name: string): string {
  return new URLSearchParams(ctx.state.rawBody?.toString('utf8') ?? '').get(name) ?? '';
}

function reasonOf(e: unknown): string {
  if (e instanceof AppError) {
    const first = Object.entries(e.fields)[0];
    return first ? `The ${first[0].replace(/_/g, ' ')} ${first[1]}.` : e.message;
  }
  throw e;
}

/**
 * The pages the email links open: `/verify-email?token=…` and `/reset-password?token=…`.
 * Opening a link changes nothing (mail scanners prefetch links); the button posts the form.
 */
export function pageRoutes(router: Router<AppState>, deps: Services) {
  const tries = rateLimit(deps.limits, 'tokenAttemptsPerIp', (ctx) => ctx.state.clientIp);

  /**
   * The link's token, or null after answering 400 when it is missing or not the shape a mailed
   * token has: a mail program that wrapped or cut the link is told so at once, instead of
   * showing a form whose button can only fail.
   */
  const linkToken = (ctx: AppContext, askAgain: string): string | null => {
    const token = typeof ctx.query.token === 'string' ? ctx.query.token : '';
    if (EMAIL_TOKEN_PATTERN.test(token)) return token;
    page(
      ctx,
      'Link not complete',
      `This link is cut short or damaged. Open it again from the email, or copy the whole link into the address bar (some mail programs split long links). ${askAgain}`,
      '',
      400,
    );
    return null;
  };

  router.get('/verify-email', (ctx) => {
    const token = linkToken(
      ctx,
      'If it still fails, ask Cloud Connect to send a new verification email.',
    );
    if (token === null) return;
    page(
      ctx,
      'Confirm your email',
      'Press the button to confirm your email address.',
      `<form method="post" action="/verify-email"><input type="hidden" name="token" value="${escapeHtml(token)}"><button type="submit">Confirm email</button></form>`,
    );
  });
  router.post('/verify-email', tries, async (ctx) => {
    try {
      await verifyEmail(deps, formField(ctx, 'token').slice(0, 512));
      page(
        ctx,
        'Email confirmed',
        'Your email address is confirmed. Return to Cloud Connect and sign in.',
      );
    } catch (e) {
      page(
        ctx,
        'Link not valid',
        `${reasonOf(e)} Ask Cloud Connect to send a new verification email.`,
        '',
        400,
      );
    }
  });

  // The bounds are the API schema's, so the browser refuses exactly what the API would.
  const lengths = `minlength="${PASSWORD_MIN_LENGTH}" maxlength="${PASSWORD_MAX_LENGTH}"`;
  const resetForm = (token: string, error = '') =>
    `${error ? `<p class="error">${escapeHtml(error)}</p>` : ''}<form method="post" action="/reset-password">
<input type="hidden" name="token" value="${escapeHtml(token)}">
<label for="password">New password (at least ${PASSWORD_MIN_LENGTH} characters)</label><input id="password" name="password" type="password" ${lengths} required autocomplete="new-password">
<label for="password_confirmation">Repeat the new password</label><input id="password_confirmation" name="password_confirmation" type="password" ${lengths} required autocomplete="new-password">
<button type="submit">Set new password</button></form>`;
  router.get('/reset-password', (ctx) => {
    const token = linkToken(ctx, 'If it still fails, ask for a new password-reset email.');
    if (token === null) return;
    page(ctx, 'Choose a new password', 'Enter your new password twice.', resetForm(token));
  });
  router.post('/reset-password', tries, async (ctx) => {
    const token = formField(ctx, 'token').slice(0, 512);
    try {
      // The API's own schema: the same lengths and messages, and a password is never cut short.
      const input = parsePart(
        ResetPasswordRequest,
        {
          token,
          password: formField(ctx, 'password'),
          password_confirmation: formField(ctx, 'password_confirmation'),
        },
        'body',
      );
      await resetPassword(deps, input);
      page(
        ctx,
        'Password changed',
        'Your password is changed and every other session is signed out. Return to Cloud Connect and sign in.',
      );
    } catch (e) {
      page(
        ctx,
        'Choose a new password',
        'Enter your new password twice.',
        resetForm(token, reasonOf(e)),
        400,
      );
    }
  });
}
