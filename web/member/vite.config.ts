import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// Served by the API server at /m/<tenant id>/ (its hashed assets at /m/assets/). `npx vite
// web/member` runs a dev server that proxies the API to a running `npm start`.
export default defineConfig({
  root: import.meta.dirname,
  base: "/m/",
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // scripts/build-console.mjs reports the sizes once.
    reportCompressedSize: false,
    chunkSizeWarningLimit: 2000,
  },
  server: {
    proxy: { "/v1": "http://127.0.0.1:3000" },
  },
});
