/**
 * Process tests run the compiled entry point, as the container does: build it once per run.
 */
import { execFileSync } from "node:child_process"

export default function setup(): void {
  execFileSync("npm", ["run", "--silent", "build"], { stdio: "inherit" })
}
