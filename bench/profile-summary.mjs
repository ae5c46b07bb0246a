// Ranks a V8 .cpuprofile by self time per function and per package/file.
import { readFileSync } from "node:fs"
const profile = JSON.parse(readFileSync(process.argv[2], "utf8"))
const byId = new Map(profile.nodes.map((n) => [n.id, n]))
const self = new Map()
const dt = profile.timeDeltas
for (let i = 0; i < profile.samples.length; i++) {
  self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + (dt[i] ?? 0))
}
const total = [...self.values()].reduce((a, b) => a + b, 0)
const fn = new Map(), file = new Map()
for (const [id, us] of self) {
  const { functionName, lineNumber, url } = byId.get(id).callFrame
  const short = url.replace(/^.*node_modules\//, "").replace(/^file:\/\/.*\/main\//, "")
  const k = `${functionName || "(anon)"} ${short}:${lineNumber + 1}`
  fn.set(k, (fn.get(k) ?? 0) + us)
  const f = short.split("/").slice(0, 4).join("/") || "(native)"
  file.set(f, (file.get(f) ?? 0) + us)
}
const top = (m, n) =>
  [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `${(100 * v / total).toFixed(1).padStart(5)}%  ${k}`)
    .join("\n")
console.log(`total ${(total / 1000).toFixed(0)} ms\n-- by file --\n${top(file, 25)}\n-- by function --\n${top(fn, 40)}`)
