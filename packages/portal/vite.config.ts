import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Served by the server under /portal/ (packages/server routes/portal-static.ts),
// so every asset URL carries that base. `npm run dev` proxies the API to a
// local `logproof serve` on port 3000.
export default defineConfig({
  base: '/portal/',
  plugins: [react()],
  resolve: {
    alias: {
      // No new Function() under the server's CSP: see src/shims/typebox-compiler.ts.
      '@sinclair/typebox/compiler': fileURLToPath(
        new URL('./src/shims/typebox-compiler.ts', import.meta.url),
      ),
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The server's CSP allows 'self' scripts only: no inline module preload polyfill.
    modulePreload: { polyfill: false },
    sourcemap: true,
  },
  server: {
    proxy: { '/v1': 'http://localhost:3000' },
  },
});
