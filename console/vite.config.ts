// Builds the web console into console/dist, served by the controller under /console/.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  plugins: [react()],
  logLevel: 'warn',
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, minify: process.env.CORRAL_CONSOLE_DEBUG ? false : 'oxc', chunkSizeWarningLimit: 1024 },
});
