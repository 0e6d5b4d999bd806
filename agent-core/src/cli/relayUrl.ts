/**
 * A relay URL as the CLI takes it: http(s) only, without trailing slashes (the form the Manager
 * saves), or null when it is not one.
 */
export function normalizeRelayUrl(raw: string): string | null {
  const trimmed = raw.trim();
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  // Credentials in the URL would end up in the settings file and in logs.
  if (url.username || url.password) return null;
  return trimmed.replace(/\/+$/, '');
}
