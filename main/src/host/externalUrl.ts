/**
 * Only http(s) URLs leave the app for the system browser, and never with credentials in them:
 * a renderer compromised by a bad page must not be able to launch arbitrary protocol handlers.
 */
export function isSafeExternalUrl(raw: string): boolean {
  try {
    const url = new URL(raw);
    return (
      (url.protocol === 'https:' || url.protocol === 'http:') && !url.username && !url.password
    );
  } catch {
    return false;
  }
}
