import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/globalSetup.ts"],
    // Process and integration tests spawn real servers; give them room on a 2-core CI machine.
    testTimeout: 30_000,
    hookTimeout: 30_000
  }
})
