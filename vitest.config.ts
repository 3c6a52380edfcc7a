import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: "forks",
    // As bin/hartwood.js does: V8 reads the generated code's branch hints (wasm.ts, rarely),
    // and gives the interpreter (one huge function) its full register allocator.
    poolOptions: {
      forks: {
        execArgv: [
          "--experimental-wasm-branch-hinting",
          "--no-turbo-use-mid-tier-regalloc-for-huge-functions",
        ],
      },
    },
  },
});
