import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// Built into dist/console, which the server serves at /console/ (src/http/console-static.ts).
export default defineConfig({
  root: here('.'),
  base: '/console/',
  plugins: [react()],
  logLevel: 'warn',
  build: {
    outDir: here('../dist/console'),
    emptyOutDir: true,
    chunkSizeWarningLimit: 600,
  },
});
