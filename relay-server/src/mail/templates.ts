import type { MailMessage } from './mailer.js';

const escape = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

function layout(title: string, body: string, link: string, action: string): string {
  return `<!doctype html><html><body style="font-family:system-ui,sans-serif;max-width:560px;margin:auto">
<h2>${escape(title)}</h2><p>${body}</p>
<p><a href="${escape(link)}" style="background:#2563eb;color:#fff;padding:10px 16px;border-radius:6px;text-decoration:none">${escape(action)}</a></p>
<p style="color:#555;font-size:13px">Or paste this link into your browser:<br>${escape(link)}</p>
</body></html>`;
}

export function verificationMail(to: string, name: string, link: string): MailMessage {
  return {
    to,
    subject: 'Confirm your Cloud Connect email address',
    text: `Hi ${name},\n\nConfirm your email address to start creating instances:\n\n${link}\n\nThe link works for 24 hours. If you did not sign up, ignore this message.\n`,
    html: layout(
      'Confirm your email address',
      `Hi ${escape(name)}, confirm your email address to start creating instances. The link works for 24 hours.`,
      link,
      'Confirm email',
    ),
  };
}

export function passwordResetMail(to: string, name: string, link: string): MailMessage {
  return {
    to,
    subject: 'Reset your Cloud Connect password',
    text: `Hi ${name},\n\nSomeone asked to reset your password. To choose a new one, open:\n\n${link}\n\nThe link works once, for 1 hour. If it was not you, ignore this message; your password is unchanged.\n`,
    html: layout(
      'Reset your password',
      `Hi ${escape(name)}, someone asked to reset your password. The link works once, for 1 hour. If it was not you, ignore this message.`,
      link,
      'Choose a new password',
    ),
  };
}

/**
 * To the owner of an address someone tried to sign up with again. The sign-up answer is the
 * same as for a new address (it must not reveal who has an account), so this mail is where
 * the owner learns what happened: how to sign in, and a reset link in case it was them.
 */
export function alreadyRegisteredMail(to: string, name: string, link: string): MailMessage {
  return {
    to,
    subject: 'Someone tried to sign up with your Cloud Connect address',
    text: `Hi ${name},\n\nSomeone tried to create a Cloud Connect account with this email address, but you already have one, so nothing was created or changed.\n\nIf it was you, sign in with this email address and your password. Forgot your password? Choose a new one here:\n\n${link}\n\nThe link works once, for 1 hour. If it was not you, ignore this message; your account and password are unchanged.\n`,
    html: layout(
      'You already have an account',
      `Hi ${escape(name)}, someone tried to create a Cloud Connect account with this email address, but you already have one, so nothing was created or changed. If it was you, sign in with this email address and your password, or choose a new password with the link below (it works once, for 1 hour). If it was not you, ignore this message.`,
      link,
      'Choose a new password',
    ),
  };
}
