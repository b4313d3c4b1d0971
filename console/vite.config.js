// Preact with JSX compiled by Vite's own esbuild: no framework plugin to install or keep up.
import { defineConfig } from "vite";

export default defineConfig({
  esbuild: { jsxFactory: "h", jsxFragment: "Fragment", jsxInject: `import { h, Fragment } from "preact"` },
  build: { target: "es2020", assetsInlineLimit: 0 },
  test: { environment: "node", include: ["test/**/*.test.js"] },
});
