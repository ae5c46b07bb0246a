// Ranks a V8 .cpuprofile of the esbuild bundle by self time per package, per source module and per
// function. esbuild writes a `// node_modules/pkg/path.js` (or `// src/X.ts`) comment before each
// module it inlines, so a sample's line in dist/main.js tells which module it came from. The normal
// build drops those comments with the whitespace, so profile a build that keeps them:
//
//   npm run build -- --minify-whitespace=false
//   node --cpu-prof --cpu-prof-dir=/tmp/prof dist/main.js --once
//   node bench/profile-summary.mjs /tmp/prof/CPU.*.cpuprofile [dist/main.js]
import { readFileSync } from "node:fs"

const profile = JSON.parse(readFileSync(process.argv[2], "utf8"))
const bundlePath = process.argv[3] ?? "dist/main.js"

const markers = []
readFileSync(bundlePath, "utf8")
  .split("\n")
  .forEach((line, index) => {
    const match = /^\/\/ ((?:node_modules|src)\/\S+)$/.exec(line)
    if (match) markers.push([index, match[1]])
  })
const moduleAt = (line) => {
  let lo = 0
  let hi = markers.length - 1
  let found = "(bundle prelude)"
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    if (markers[mid][0] <= line) {
      found = markers[mid][1]
      lo = mid + 1
    } else hi = mid - 1
  }
  return found
}
const packageOf = (module) => {
  const parts = module.replace(/^node_modules\//, "").split("/")
  return module.startsWith("src/")
    ? "src (the service)"
    : parts[0].startsWith("@")
    ? `${parts[0]}/${parts[1]}`
    : parts[0]
}

const byId = new Map(profile.nodes.map((n) => [n.id, n]))
const self = new Map()
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)))
const total = [...self.values()].reduce((a, b) => a + b, 0)

const byFunction = new Map()
const byModule = new Map()
const byPackage = new Map()
const add = (map, key, us) => map.set(key, (map.get(key) ?? 0) + us)
for (const [id, us] of self) {
  const { functionName, lineNumber, url } = byId.get(id).callFrame
  const inBundle = url.endsWith(bundlePath.replace(/^.*\//, "/")) || url.endsWith(bundlePath)
  const module = inBundle
    ? moduleAt(lineNumber)
    : url === ""
    ? `(${functionName || "native"})`
    : url.replace(/^node:/, "node:")
  add(byModule, module, us)
  add(
    byPackage,
    inBundle ? packageOf(module) : url.startsWith("node:") ? "node: built-ins" : `(${functionName || "native"})`,
    us
  )
  add(byFunction, `${functionName || "(anonymous)"}  ${module}:${lineNumber + 1}`, us)
}
const top = (map, n) =>
  [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([key, us]) =>
      `${(us / 1000).toFixed(1).padStart(7)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%  ${key}`
    )
    .join("\n")
console.log(
  `sampled ${(total / 1000).toFixed(0)} ms\n-- self time by package --\n${top(byPackage, 15)}\n-- by module --\n${
    top(byModule, 25)
  }\n-- by function --\n${top(byFunction, 30)}`
)
