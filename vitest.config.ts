import { defineConfig } from "vitest/config";

/**
 * Three tiers, one command (`npm test`):
 * - unit: `*.test.ts`, pure and in-memory, milliseconds each.
 * - int: `*.int.test.ts`, against real Redis and a MongoDB-wire server.
 * - e2e: `*.e2e.test.ts`, apps started as separate processes from the
 *   production build (tools/testing/build-setup.ts builds it first).
 * The int and e2e tiers get their backends from tools/testing/global-setup.ts,
 * which fails the run (never skips) when they cannot be reached.
 */
const exclude = ["**/node_modules/**", "**/dist/**", "**/data/**"];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["{apps,libs,tools}/**/*.test.ts"],
          exclude: [...exclude, "**/*.int.test.ts", "**/*.e2e.test.ts"],
        },
      },
      {
        test: {
          name: "int",
          include: ["{apps,libs,tools}/**/*.int.test.ts"],
          exclude,
          globalSetup: ["tools/testing/global-setup.ts"],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["{apps,libs,tools}/**/*.e2e.test.ts"],
          exclude,
          globalSetup: ["tools/testing/global-setup.ts", "tools/testing/build-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 90_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
