import { expect, test } from './harness/fixtures.js';

/**
 * The renderer's Content-Security-Policy, as Chromium enforces it on the page the web host
 * serves (Electron loads the same index.html and its meta policy): the page reaches only its
 * own origin — the bridge socket — and nothing else, not even another port on loopback.
 */
test.describe('Content-Security-Policy of the window', () => {
  test('lets the bridge socket through and blocks every other connection, base URL and form target', async ({
    page,
    app,
  }) => {
    await page.goto(app.url);
    // The app got past start-up over its bridge socket: connect-src 'self' covers ws:// to itself.
    await expect(page.getByText('Starting Cloud Connect…')).toBeHidden();
    await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();

    const blocked = await page.evaluate(async () => {
      const violations: string[] = [];
      document.addEventListener('securitypolicyviolation', (e) =>
        violations.push(`${e.effectiveDirective} ${e.blockedURI}`),
      );
      // Port 9 (discard) on loopback: nothing listens; only the policy decides what is tried.
      try {
        new WebSocket('ws://127.0.0.1:9/');
      } catch {
        // Chromium throws a SecurityError for a socket the policy forbids.
      }
      await fetch('http://127.0.0.1:9/').catch(() => undefined);
      const base = document.createElement('base');
      base.href = 'https://evil.example/';
      document.head.append(base);
      const form = document.createElement('form');
      form.action = 'http://127.0.0.1:9/steal';
      form.method = 'post';
      document.body.append(form);
      form.requestSubmit();
      await new Promise((r) => setTimeout(r, 200));
      return { violations, baseURI: document.baseURI };
    });
    expect(blocked.violations).toEqual(
      expect.arrayContaining([
        'connect-src ws://127.0.0.1:9/',
        'connect-src http://127.0.0.1:9/',
        'base-uri https://evil.example/',
        'form-action http://127.0.0.1:9/steal',
      ]),
    );
    expect(blocked.baseURI).not.toContain('evil.example');
    // The form went nowhere: still the app's own page.
    expect(new URL(page.url()).origin).toBe(new URL(app.url).origin);

    const meta = await page
      .locator('meta[http-equiv="Content-Security-Policy"]')
      .getAttribute('content');
    for (const directive of ["connect-src 'self';", "base-uri 'none'", "object-src 'none'"]) {
      expect(meta).toContain(directive);
    }
  });
});
