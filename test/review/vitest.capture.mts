// Runs test/review/capture-previews.ts alone (it rewrites the fixtures; see its header).
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/review/capture-previews.ts"],
    testTimeout: 600_000,
    pool: "forks",
  },
});
