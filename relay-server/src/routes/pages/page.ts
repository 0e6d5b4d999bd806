import type { Context } from 'koa';

export const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

/** A small branded page: no scripts, no external assets, a CSP that allows nothing else. */
export function page(
  ctx: Context,
  title: string,
  message: string,
  bodyHtml = '',
  status = 200,
): void {
  ctx.status = status;
  ctx.type = 'text/html; charset=utf-8';
  ctx.set(
    'Content-Security-Policy',
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
  );
  ctx.set('X-Content-Type-Options', 'nosniff');
  // The link pages carry a token in their URL and their form: no cache keeps them, and no
  // Referer sends the URL on.
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Referrer-Policy', 'no-referrer');
  ctx.body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)} · Cloud Connect</title>
<style>
body{font-family:system-ui,sans-serif;background:#f6f7f9;color:#111;margin:0;display:grid;place-items:center;min-height:100vh}
main{background:#fff;border-radius:12px;box-shadow:0 2px 12px #0001;padding:32px;max-width:440px;width:90%}
h1{font-size:20px;margin:0 0 12px} .brand{color:#2563eb;font-weight:700;font-size:13px;letter-spacing:.05em;text-transform:uppercase}
label{display:block;margin:12px 0 4px;font-size:14px} input{width:100%;box-sizing:border-box;padding:8px;border:1px solid #bbb;border-radius:6px;font-size:15px}
button{margin-top:16px;background:#2563eb;color:#fff;border:0;border-radius:6px;padding:10px 16px;font-size:15px;cursor:pointer}
.error{color:#b91c1c} @media (prefers-color-scheme:dark){body{background:#111;color:#eee}main{background:#1c1c1f}input{background:#222;color:#eee;border-color:#444}}
</style></head>
<body><main><div class="brand">Cloud Connect</div><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>${bodyHtml}</main></body></html>`;
}
