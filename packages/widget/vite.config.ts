import { defineConfig } from 'vite';

// One self-contained, minified classic script (`dist/widget.js`), served by
// the server at GET /widget.js and loaded cross-origin with <script src>: an
// IIFE with every dependency (the SDK's verifier, the core) bundled in.
export default defineConfig({
  // A library: nothing from a public/ folder, no HTML entry.
  publicDir: false,
  define: {
    // Some dependency code reads it; a browser has no `process`.
    'process.env.NODE_ENV': JSON.stringify('production'),
  },
  build: {
    lib: {
      entry: 'src/widget.ts',
      name: 'LogproofWidget',
      formats: ['iife'],
      fileName: () => 'widget.js',
    },
    target: 'es2022',
    minify: 'esbuild',
    sourcemap: false,
    emptyOutDir: true,
    reportCompressedSize: true,
  },
});
