/**
 * Scenario 12: a hostile ConfigMap. Three real replicas share a Lease and a ConfigMap on the
 * stand-in API server (as in scenario 10) while someone with edit rights on the ConfigMap writes
 * caches that look fresh and are not: a value of 1e400, a best region not in `regions`, a TTL of
 * 1e9 and of 1e400 minutes, a timestamp in year 3928, an extra key in an entry, and text that is
 * not JSON. No replica may copy one into its file, `/readyz` must always answer with a JSON body
 * (never 500), a follower that sees one names it, and the leader must put its own cache back
 * before its next poll would have.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { setTimeout as delay } from "node:timers/promises"
import { describe, expect, it } from "vitest"
import type { ServiceProcess } from "../support/processes.js"
import { CLUSTER, clusterScenario } from "./cluster.js"
import { baseEnv, freePort, keepEmitted, logLines, record, spawnService, stop, tempDir, waitUntil } from "./support.js"

const { configMap: CONFIGMAP, lease: LEASE, namespace: NAMESPACE } = CLUSTER
const ZONES = ["DE", "FR", "PL"]
/** 12 s between polls: the ConfigMap is read every 3 s, so a repair comes well before the next poll. */
const INTERVAL_MINUTES = 0.2
const INTERVAL_MILLIS = INTERVAL_MINUTES * 60_000

const cluster = clusterScenario(121)

interface Replica {
  readonly name: string
  readonly cacheFile: string
  readonly port: number
  readonly process: ServiceProcess
}

const startReplica = async (name: string): Promise<Replica> => {
  const cacheFile = join(tempDir(`hostile-${name}`), "carbon_cache.json")
  const port = await freePort()
  const process = spawnService(
    baseEnv(cluster.simulator.baseUrl, cacheFile, {
      ZONES: ZONES.join(","),
      POLL_INTERVAL_MINUTES: String(INTERVAL_MINUTES),
      CACHE_TTL_MINUTES: "2",
      HTTP_PORT: String(port),
      LEADER_ELECTION_LEASE: `${NAMESPACE}/${LEASE}`,
      PUBLISH_CONFIGMAP: `${NAMESPACE}/${CONFIGMAP}`,
      POD_NAME: name,
      KUBECONFIG: cluster.kubeconfig
    })
  )
  return { name, cacheFile, port, process }
}

const publishForeign = (contents: string) =>
  cluster.kube.putObject("configmaps", NAMESPACE, CONFIGMAP, { data: { "carbon_cache.json": contents } })

const readFile = (path: string) => {
  try {
    return readFileSync(path, "utf8")
  } catch {
    return undefined
  }
}

/** `/readyz` as a probe sees it: the status and whether the body is the JSON object it must be. */
const readyz = async (
  port: number
): Promise<{ readonly status: number; readonly body: string; readonly json: boolean }> => {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(3_000) })
    const body = await response.text()
    let json = false
    try {
      const parsed: unknown = JSON.parse(body)
      json = typeof parsed === "object" && parsed !== null && "ready" in parsed && "reason" in parsed
    } catch {
      json = false
    }
    return { status: response.status, body, json }
  } catch (error) {
    return { status: 0, body: String(error), json: false }
  }
}

/** The hand edits, each made from the leader's current cache. */
const HOSTILE: ReadonlyArray<readonly [string, (good: string) => string]> = [
  ["a value of 1e400", (good) => good.replace(/"carbonIntensity": [\d.]+/, "\"carbonIntensity\": 1e400")],
  ["a best_region not in regions", (good) => good.replace(/"best_region": "[^"]+"/, "\"best_region\": \"XX-NOWHERE\"")],
  ["a TTL of 1e9 minutes", (good) => good.replace(/"ttl_minutes": [\d.]+/, "\"ttl_minutes\": 1000000000")],
  ["a TTL of 1e400 minutes", (good) => good.replace(/"ttl_minutes": [\d.]+/, "\"ttl_minutes\": 1e400")],
  ["a timestamp in year 3928", (good) => good.replace(/^ {2}"timestamp": "\d{4}/m, "  \"timestamp\": \"3928")],
  ["an extra key in an entry", (good) => good.replace(/"zone": "([A-Z]+)",/, "\"zone\": \"$1\", \"injected\": true,")],
  ["text that is not JSON", () => "{\"written by\": \"an operator\""]
]

describe("12. a hostile ConfigMap", () => {
  it("no replica mirrors a hand-edited cache, /readyz always answers JSON, and the leader restores its cache before its next poll", async () => {
    cluster.kube.deleteObject("leases", NAMESPACE, LEASE)
    cluster.kube.deleteObject("configmaps", NAMESPACE, CONFIGMAP)
    cluster.kube.putObject("leases", NAMESPACE, LEASE, { spec: {} })
    cluster.kube.putObject("configmaps", NAMESPACE, CONFIGMAP, {})
    const replicas = await Promise.all(["replica-a", "replica-b", "replica-c"].map(startReplica))
    const problems: Array<string> = []
    const figures: Array<string> = []
    const restoreMillis: Array<number> = []
    let probes = 0
    let badAnswers = 0
    let copies = 0
    let refusalsNamed = 0
    try {
      expect(await waitUntil(() => cluster.holder() !== undefined && cluster.published() !== undefined, 30_000, 100))
        .toBe(true)
      const leader = replicas.find((r) => r.name === cluster.holder())!
      const followers = replicas.filter((r) => r !== leader)
      // Every follower mirrors the leader's cache first.
      expect(
        await waitUntil(
          () => followers.every((r) => readFile(r.cacheFile) === cluster.published()),
          2 * INTERVAL_MILLIS,
          100
        )
      ).toBe(true)

      for (const [what, edit] of HOSTILE) {
        const good = cluster.published()!
        const hostile = edit(good)
        if (hostile === good) {
          problems.push(`${what}: the edit changed nothing`)
          continue
        }
        const refusalsBefore = followers.map((r) =>
          logLines(r.process).filter((l) => l.message.includes("refused and not mirrored")).length
        )
        const editedAt = performance.now()
        publishForeign(hostile)
        let restoredAt: number | undefined
        // Watch for one interval: files, /readyz of every replica, and the ConfigMap itself.
        while (performance.now() - editedAt < INTERVAL_MILLIS) {
          for (const r of replicas) {
            if (readFile(r.cacheFile) === hostile) {
              copies++
              problems.push(`${what}: ${r.name} copied it into its file`)
            }
            const answer = await readyz(r.port)
            probes++
            if (!answer.json || (answer.status !== 200 && answer.status !== 503)) {
              badAnswers++
              problems.push(`${what}: ${r.name} /readyz ${answer.status} ${answer.body.slice(0, 80)}`)
            }
          }
          const now = cluster.published()
          if (restoredAt === undefined && now !== hostile) restoredAt = performance.now()
          if (restoredAt !== undefined && performance.now() - restoredAt > 3_500) break
          await delay(200)
        }
        if (restoredAt === undefined) problems.push(`${what}: the ConfigMap was not restored within one interval`)
        else restoreMillis.push(restoredAt - editedAt)
        const named = followers.reduce((n, r, i) =>
          n +
          logLines(r.process).filter((l) => l.message.includes("refused and not mirrored")).length -
          refusalsBefore[i]!, 0)
        refusalsNamed += named
        figures.push(
          `${what}: restored after ${
            restoredAt === undefined ? "-" : ((restoredAt - editedAt) / 1000).toFixed(1)
          } s, named by ${named} follower log line(s)`
        )
        // The followers mirror the leader's cache again.
        const settled = await waitUntil(
          () => followers.every((r) => readFile(r.cacheFile) === cluster.published()),
          INTERVAL_MILLIS,
          100
        )
        if (!settled) problems.push(`${what}: the followers did not mirror the restored cache`)
      }
      // With the leader running, a follower sees an edit only if it reads before the leader repairs
      // it, which depends on the phase of their reads (0 of 7 in one run). With the leader paused
      // (SIGSTOP, well within its 15 s lease), every follower must see the edit, refuse it, name it
      // in its log and in /readyz, and keep its file.
      const good = cluster.published()!
      const hostile = good.replace(/"ttl_minutes": [\d.]+/, "\"ttl_minutes\": 1000000000")
      const before = followers.map((r) =>
        logLines(r.process).filter((l) => l.message.includes("refused and not mirrored")).length
      )
      leader.process.child.kill("SIGSTOP")
      let resumedAt = performance.now()
      try {
        publishForeign(hostile)
        const allNamed = await waitUntil(
          () =>
            followers.every((r, i) =>
              logLines(r.process).filter((l) => l.message.includes("refused and not mirrored")).length > before[i]!
            ),
          7_000,
          100
        )
        if (!allNamed) problems.push("with the leader paused, a follower did not name the refused cache")
        else refusalsNamed += followers.length
        for (const r of followers) {
          const answer = await readyz(r.port)
          if (!answer.body.includes("publishedCacheRefused")) {
            problems.push(
              `with the leader paused, ${r.name} /readyz does not name the refusal: ${answer.body.slice(0, 120)}`
            )
          }
          if (readFile(r.cacheFile) === hostile) problems.push(`with the leader paused, ${r.name} copied the edit`)
        }
        figures.push(`leader paused: every follower named the refused edit (${allNamed})`)
      } finally {
        leader.process.child.kill("SIGCONT")
        resumedAt = performance.now()
      }
      const repaired = await waitUntil(() => cluster.published() !== hostile, INTERVAL_MILLIS, 100)
      if (!repaired) problems.push("the resumed leader did not restore its cache within one interval")
      figures.push(`resumed leader restored its cache after ${((performance.now() - resumedAt) / 1000).toFixed(1)} s`)
    } finally {
      for (const r of replicas) {
        keepEmitted(await readyz(r.port).then((a) => a.body))
        const code = await stop(r.process, r.cacheFile)
        if (code !== 0) problems.push(`${r.name} exit ${code}`)
      }
      const slowest = Math.max(0, ...restoreMillis)
      record({
        scenario: "12 hostile ConfigMap (3 replicas)",
        runs: HOSTILE.length,
        failures: problems.length,
        figures: `${HOSTILE.length} hand edits (${
          HOSTILE.map(([what]) => what).join(", ")
        }): seen copied in a replica's file ${copies} times; ${
          probes - badAnswers
        }/${probes} /readyz answers JSON 200/503; ${refusalsNamed} refusals named in follower logs; the leader restored its cache after at most ${
          (slowest / 1000).toFixed(1)
        } s (next poll after ${INTERVAL_MILLIS / 1000} s); ${figures.filter((f) => f.includes("leader")).join("; ")}${
          problems.length > 0 ? `; BROKE: ${problems.slice(0, 4).join(" | ")}` : ""
        }`
      })
      // Per-edit detail in the log of the run, for when one breaks.
      console.log(figures.join("\n"))
    }
    expect(problems).toEqual([])
  })
})
