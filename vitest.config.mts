import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // e2e tests drive the real Pulumi engine: each CLI run takes seconds, not milliseconds.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: "forks",
  },
});
