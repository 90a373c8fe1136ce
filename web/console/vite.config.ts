import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// Served by the API server at /console (same origin: the session cookie and CSRF token work).
// `npx vite web/console` runs a dev server that proxies the API to a running `npm start`.
export default defineConfig({
  root: import.meta.dirname,
  base: "/console/",
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // scripts/build-console.mjs reports the sizes once; Vite's per-chunk gzip pass only slows the build.
    reportCompressedSize: false,
    // Ant Design and React share the entry chunk; each page is its own lazily loaded chunk.
    chunkSizeWarningLimit: 2000,
  },
  server: {
    proxy: { "/v1": "http://127.0.0.1:3000", "/openapi.json": "http://127.0.0.1:3000" },
  },
});
