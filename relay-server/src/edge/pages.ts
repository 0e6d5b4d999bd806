import { escapeHtml } from '../routes/pages/page.js';

/** A page the edge answers with itself: status, headers and a small HTML body. */
export interface EdgePage {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function render(status: number, reason: string, title: string, message: string): EdgePage {
  const body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)} · Cloud Connect</title>
<style>body{font-family:system-ui,sans-serif;background:#f6f7f9;color:#111;margin:0;display:grid;place-items:center;min-height:100vh}main{background:#fff;border-radius:12px;box-shadow:0 2px 12px #0001;padding:32px;max-width:440px;width:90%}h1{font-size:20px;margin:0 0 12px}.brand{color:#2563eb;font-weight:700;font-size:13px;letter-spacing:.05em;text-transform:uppercase}@media (prefers-color-scheme:dark){body{background:#111;color:#eee}main{background:#1c1c1f}}</style>
</head><body><main><div class="brand">Cloud Connect</div><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></main></body></html>
`;
  return {
    status,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-length': String(Buffer.byteLength(body)),
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
      // Lets clients and tests tell the edge's own answer from the app's.
      'x-cloud-connect-edge': reason,
    },
    body,
  };
}

/** No instance serves this host (never a subdomain of ours, or a domain not verified). */
export const unknownHostPage = (host: string | null) =>
  render(
    404,
    'unknown-host',
    'Nothing here',
    `No app is connected at ${host ?? 'this address'}. If this is your domain, check its CNAME record and verify it in Cloud Connect.`,
  );

/** The instance exists but its tunnel is down, or the app behind it did not answer. */
export const offlinePage = (host: string) =>
  render(
    502,
    'instance-offline',
    'This instance is offline',
    `The app at ${host} is offline: its Cloud Connect tunnel is not connected or the app is not answering. Try again in a moment.`,
  );

/** The app took longer than the edge waits for a response. */
export const timeoutPage = (host: string) =>
  render(
    504,
    'app-timeout',
    'The app did not answer in time',
    `The app at ${host} is connected but did not answer in time. Try again in a moment.`,
  );

/** Why the edge refused a request itself, before any app saw it. */
const REQUEST_ERRORS = {
  400: ['bad-request', 'Bad request'],
  408: ['request-timeout', 'The request took too long'],
  413: ['request-too-large', 'The request is too large'],
  431: ['headers-too-large', 'The request headers are too large'],
} as const;

/** A request the edge refuses: malformed or ambiguous (400), too slow (408) or too large. */
export const requestErrorPage = (status: keyof typeof REQUEST_ERRORS, message: string) => {
  const [reason, title] = REQUEST_ERRORS[status];
  return render(status, reason, title, message);
};
