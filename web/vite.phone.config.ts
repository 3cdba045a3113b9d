import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

// The phone app (web/phone): its own entry, served by the cloud under /m/ (cloud/src/phone-web.ts).
// `npm run build` writes it to cloud/dist/m; tests build into their own cache through CUNBOX_PHONE_OUT.
const outDir = process.env.CUNBOX_PHONE_OUT ?? fileURLToPath(new URL('../cloud/dist/m', import.meta.url));

export default defineConfig({
  root: fileURLToPath(new URL('./phone', import.meta.url)),
  base: '/m/',
  plugins: [vue()],
  // Every component is <script setup>: without the Options API (and the devtools hooks) Vue's runtime is smaller, which a 3G first load feels.
  define: { __VUE_OPTIONS_API__: 'false', __VUE_PROD_DEVTOOLS__: 'false', __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false' },
  build: { outDir, emptyOutDir: true, target: 'es2022', reportCompressedSize: false },
  server: { proxy: { '/api': 'http://127.0.0.1:8090' } },
});
