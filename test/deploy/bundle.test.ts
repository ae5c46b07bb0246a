/**
 * The built service loads the code of the providers ZONES names and no other: the UK Carbon
 * Intensity and WattTime adapters sit in chunks of their own, reached only by the dynamic import
 * that builds their layer, never from the main module's static imports. A static import of either
 * (from anywhere the service's start reaches) would put its code back into every start.
 * esbuild bundles in memory with the build script's splitting options; nothing is written.
 */
import { assert, describe, it } from "@effect/vitest"
import { build, type Metafile } from "esbuild"

const LAZY_PROVIDERS = ["src/providers/ukci/", "src/providers/watttime/"] as const

const bundle = async (): Promise<Metafile> => {
  const result = await build({
    entryPoints: ["src/main.ts"],
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    outdir: "dist-in-memory",
    write: false,
    metafile: true,
    logLevel: "silent"
  })
  return result.metafile
}

/** Every output the entry loads before it runs: its static imports, followed to the end. */
const loadedAtStart = (metafile: Metafile, entry: string): ReadonlySet<string> => {
  const seen = new Set<string>()
  const visit = (output: string) => {
    if (seen.has(output)) return
    seen.add(output)
    for (const imported of metafile.outputs[output]?.imports ?? []) {
      if (imported.kind === "import-statement" && !imported.external) visit(imported.path)
    }
  }
  visit(entry)
  return seen
}

const inputsOf = (metafile: Metafile, outputs: Iterable<string>): ReadonlyArray<string> =>
  [...outputs].flatMap((output) => Object.keys(metafile.outputs[output]?.inputs ?? {}))

describe("the service's bundle", () => {
  it("loads the UK and WattTime adapters only through their layer's dynamic import", async () => {
    const metafile = await bundle()
    const entry = Object.keys(metafile.outputs).find((output) => metafile.outputs[output]?.entryPoint === "src/main.ts")
    assert.isDefined(entry)
    const atStart = inputsOf(metafile, loadedAtStart(metafile, entry!))
    assert.include(atStart, "src/providers/electricitymaps/ElectricityMapsSource.ts")
    for (const provider of LAZY_PROVIDERS) {
      assert.deepStrictEqual(atStart.filter((input) => input.startsWith(provider)), [], `${provider} loaded at start`)
      const everywhere = inputsOf(metafile, Object.keys(metafile.outputs))
      assert.isTrue(everywhere.some((input) => input.startsWith(provider)), `${provider} missing from the bundle`)
    }
  }, 60_000)
})
