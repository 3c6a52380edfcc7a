import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: "forks",
    // As bin/hartwood.js does: V8 reads the generated code's branch hints (wasm.ts, rarely).
    poolOptions: { forks: { execArgv: ["--experimental-wasm-branch-hinting"] } },
  },
});
