import react from '@vitejs/plugin-react';
import type { Plugin } from 'vite';
import { defaultClientConditions, defineConfig } from 'vite';

/**
 * React's dev server injects an inline refresh preamble that the production CSP
 * (`script-src 'self'`) forbids; loosen the meta tag for `vite dev` only, never for a build.
 */
function devCspPlugin(): Plugin {
  return {
    name: 'cloud-connect-dev-csp',
    apply: 'serve',
    transformIndexHtml: (html) =>
      html.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'"),
  };
}

/**
 * The renderer builds to `renderer/dist` with relative asset URLs so the same files load from
 * Electron's `file://` and from the web host. `vite dev` forwards the bridge socket to a running
 * web host (CLOUD_CONNECT_WEB_HOST, default http://127.0.0.1:5174).
 */
export default defineConfig({
  root: import.meta.dirname,
  base: './',
  plugins: [react(), devCspPlugin()],
  // agent-core's browser-safe entry (`/status`: the status words every surface shares) is
  // bundled from source, like the tests load it; nothing needs a prior agent-core build.
  resolve: { conditions: ['@cloud-connect/source', ...defaultClientConditions] },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
  server: {
    port: 5173,
    strictPort: false,
    proxy: {
      '/ws': { target: process.env.CLOUD_CONNECT_WEB_HOST ?? 'http://127.0.0.1:5174', ws: true },
    },
  },
});
