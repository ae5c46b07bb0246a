/**
 * Scenario 10: one poller for a whole cluster. Three real service processes share a Lease and a
 * ConfigMap on a stand-in Kubernetes API server (driven only through the real client) and poll
 * the Electricity Maps simulator. Lease timings are the production ones (15 s lease, renew every
 * 5 s, acquire every 2 s), so each figure below is what a cluster would see.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { setTimeout as delay } from "node:timers/promises"
import { describe, expect, it } from "vitest"
import type { ServiceProcess } from "../support/processes.js"
import { CLUSTER, clusterScenario } from "./cluster.js"
import { baseEnv, logLines, record, spawnService, stop, tempDir, waitUntil } from "./support.js"

const { configMap: CONFIGMAP, lease: LEASE, namespace: NAMESPACE } = CLUSTER
const ZONES = ["DE", "FR", "PL", "SE"]
const INTERVAL_MINUTES = 0.02
const INTERVAL_MILLIS = INTERVAL_MINUTES * 60_000
const LEASE_MILLIS = 15_000
const RENEW_MILLIS = 5_000

const cluster = clusterScenario(101)

/** The empty Lease and ConfigMap, as `kubectl apply -f k8s-cluster.yaml` leaves them. */
const applyManifestObjects = () => {
  cluster.kube.deleteObject("leases", NAMESPACE, LEASE)
  cluster.kube.deleteObject("configmaps", NAMESPACE, CONFIGMAP)
  cluster.kube.putObject("leases", NAMESPACE, LEASE, { spec: {} })
  cluster.kube.putObject("configmaps", NAMESPACE, CONFIGMAP, {})
}

interface Replica {
  readonly name: string
  readonly cacheFile: string
  readonly process: ServiceProcess
}

const startReplica = (name: string): Replica => {
  const cacheFile = join(tempDir(`cluster-${name}`), "carbon_cache.json")
  const process = spawnService(
    baseEnv(cluster.simulator.baseUrl, cacheFile, {
      ZONES: ZONES.join(","),
      POLL_INTERVAL_MINUTES: String(INTERVAL_MINUTES),
      CACHE_TTL_MINUTES: "2",
      LEADER_ELECTION_LEASE: `${NAMESPACE}/${LEASE}`,
      PUBLISH_CONFIGMAP: `${NAMESPACE}/${CONFIGMAP}`,
      POD_NAME: name,
      KUBECONFIG: cluster.kubeconfig
    })
  )
  return { name, cacheFile, process }
}

const pollLinesOf = (replica: Replica) =>
  logLines(replica.process).filter((line) => line.annotations["event"] === "poll")
const latestRequests = async () => Object.values((await cluster.simulator.stats()).byZone).reduce((a, b) => a + b, 0)
const readFile = (path: string) => {
  try {
    return readFileSync(path, "utf8")
  } catch {
    return undefined
  }
}

describe("10. one poller for a whole cluster", () => {
  it("three replicas: one leader calls the API, the others mirror; SIGKILL, SIGTERM, an API-server outage and a stale leader", async () => {
    applyManifestObjects()
    await cluster.simulator.resetStats()
    const replicas = ["replica-a", "replica-b", "replica-c"].map(startReplica)
    const byName = new Map(replicas.map((replica) => [replica.name, replica]))
    const figures: Array<string> = []
    const problems: Array<string> = []
    const check = (ok: boolean, problem: string) => {
      if (!ok) problems.push(problem)
    }
    try {
      // --- a leader emerges and publishes
      expect(await waitUntil(() => cluster.holder() !== undefined && cluster.published() !== undefined, 30_000, 100))
        .toBe(true)
      const first = cluster.holder()!
      figures.push(`leader ${first} published ${cluster.published() === undefined ? "nothing" : "a cache"}`)

      // --- exactly one process calls the API, over at least 20 intervals
      const requestsBefore = await latestRequests()
      const pollsBefore = new Map(replicas.map((r) => [r.name, pollLinesOf(r).length]))
      await delay(22 * INTERVAL_MILLIS)
      const pollsDuring = replicas.map((r) => [r.name, pollLinesOf(r).length - (pollsBefore.get(r.name) ?? 0)] as const)
      const pollers = pollsDuring.filter(([, n]) => n > 0)
      const leaderPolls = pollers.reduce((sum, [, n]) => sum + n, 0)
      const requests = (await latestRequests()) - requestsBefore
      check(
        pollers.length === 1 && pollers[0]![0] === first,
        `pollers during the window: ${JSON.stringify(pollsDuring)}`
      )
      check(leaderPolls >= 20, `only ${leaderPolls} polls in the window`)
      // A poll in flight at either edge of the window is counted on one side only.
      check(
        Math.abs(requests - leaderPolls * ZONES.length) <= ZONES.length,
        `${requests} API calls for ${leaderPolls} polls of ${ZONES.length} zones`
      )
      figures.push(
        `${leaderPolls} intervals: polls by replica ${
          JSON.stringify(Object.fromEntries(pollsDuring))
        }, ${requests} API calls (${ZONES.length} per poll)`
      )

      // --- followers' files match the ConfigMap byte for byte within one interval
      const followers = replicas.filter((r) => r.name !== first)
      const mirrored = await waitUntil(
        () => {
          const now = cluster.published()
          return now !== undefined && followers.every((r) => readFile(r.cacheFile) === now)
        },
        2 * INTERVAL_MILLIS,
        50
      )
      check(mirrored, "followers' files do not match the ConfigMap")
      figures.push(`followers' files equal the ConfigMap: ${mirrored}`)

      // --- SIGKILL the leader: a follower publishes within lease + one renew period, carrying the old entries
      await cluster.simulator.addFault({ zone: "SE", route: "latest", fault: { kind: "server-error", status: 503 } })
      await delay(2 * INTERVAL_MILLIS)
      const seBefore = (JSON.parse(cluster.published() ?? "{}") as { regions?: Record<string, { timestamp: string }> })
        .regions
        ?.["SE"]
      const killedAt = performance.now()
      byName.get(first)!.process.child.kill("SIGKILL")
      const beforeKill = cluster.published()
      const tookOver = await waitUntil(
        () => cluster.holder() !== undefined && cluster.holder() !== first && cluster.published() !== beforeKill,
        LEASE_MILLIS + RENEW_MILLIS + 5_000,
        100
      )
      const killTakeover = performance.now() - killedAt
      const second = cluster.holder()
      check(
        tookOver && killTakeover <= LEASE_MILLIS + RENEW_MILLIS,
        `after SIGKILL: published by ${second} after ${killTakeover.toFixed(0)} ms`
      )
      const seAfter = (JSON.parse(cluster.published() ?? "{}") as { regions?: Record<string, { timestamp: string }> })
        .regions
        ?.["SE"]
      check(
        seBefore !== undefined && seAfter?.timestamp === seBefore.timestamp,
        `SE not carried over: before ${JSON.stringify(seBefore)}, after ${JSON.stringify(seAfter)}`
      )
      figures.push(
        `SIGKILL: ${second} published ${(killTakeover / 1000).toFixed(1)} s later (bound ${
          (LEASE_MILLIS + RENEW_MILLIS) / 1000
        } s), SE's last good entry carried over: ${seAfter?.timestamp === seBefore?.timestamp}`
      )
      await cluster.simulator.clearFaults()

      // --- SIGTERM the leader: a follower takes over within 2 renew periods
      const secondReplica = byName.get(second ?? "")!
      const termAt = performance.now()
      secondReplica.process.child.kill("SIGTERM")
      const exit = await secondReplica.process.exited(5_000)
      const released = await waitUntil(
        () => cluster.holder() !== undefined && cluster.holder() !== second,
        2 * RENEW_MILLIS + 2_000,
        50
      )
      const termTakeover = performance.now() - termAt
      const third = cluster.holder()
      check(exit === 0, `SIGTERM exit ${exit}`)
      check(
        released && termTakeover <= 2 * RENEW_MILLIS,
        `after SIGTERM: ${third} leads after ${termTakeover.toFixed(0)} ms`
      )
      figures.push(
        `SIGTERM: exit ${exit}, ${third} leads ${(termTakeover / 1000).toFixed(1)} s later (bound ${
          (2 * RENEW_MILLIS) / 1000
        } s)`
      )

      // Two replicas again, so the outage scenario has a follower.
      const d = startReplica("replica-d")
      replicas.push(d)
      byName.set(d.name, d)
      await delay(3_000)

      // --- the API server unreachable for longer than the lease
      const leaderBefore = byName.get(cluster.holder() ?? "")!
      await delay(2 * INTERVAL_MILLIS)
      const spec = cluster.kube.getObject("leases", NAMESPACE, LEASE)?.["spec"] as { renewTime?: string } | undefined
      const lastRenew = Date.parse(spec?.renewTime ?? "")
      await cluster.kube.stop()
      const outageAt = Date.now()
      await delay(LEASE_MILLIS + 3_000)
      // The leader's polls after the outage began: each must have started before its lease lapsed.
      const pollStarts = pollLinesOf(leaderBefore)
        .map((line) =>
          Date.parse((line as unknown as { timestamp: string }).timestamp) -
          Number(line.annotations["duration_ms"] ?? 0)
        )
        .filter((at) => at >= outageAt - INTERVAL_MILLIS)
      const lastPollStart = Math.max(0, ...pollStarts)
      const steppedDown = logLines(leaderBefore.process).some((line) => line.message.includes("stepped down"))
      check(
        steppedDown && lastPollStart < lastRenew + LEASE_MILLIS,
        `the leader polled at ${
          lastPollStart - lastRenew
        } ms after its last renewal (lease ${LEASE_MILLIS} ms); stepped down: ${steppedDown}`
      )
      await cluster.kube.resume()
      const oneLeader = await waitUntil(() => cluster.holder() !== undefined, 15_000, 100)
      await delay(6 * INTERVAL_MILLIS)
      const recentPollers = replicas
        .filter((r) => r.process.child.exitCode === null && r.process.child.signalCode === null)
        .filter((r) => {
          const last = pollLinesOf(r).at(-1) as { timestamp?: string } | undefined
          return last?.timestamp !== undefined && Date.now() - Date.parse(last.timestamp) < 3 * INTERVAL_MILLIS
        })
      check(
        oneLeader && recentPollers.length === 1,
        `after the outage: ${recentPollers.map((r) => r.name).join(", ")} polling`
      )
      figures.push(
        `API server down ${
          ((LEASE_MILLIS + 3_000) / 1000).toFixed(0)
        } s: ${leaderBefore.name} stepped down and its last poll began ${
          ((lastPollStart - lastRenew) / 1000).toFixed(1)
        } s after its last renewal (lease ${
          LEASE_MILLIS / 1000
        } s); afterwards one leader (${cluster.holder()}), ${recentPollers.length} replica polling`
      )

      // --- a write based on a stale resourceVersion is refused (409), never forced
      const leaderNow = byName.get(cluster.holder() ?? "")!
      const rejectedBefore = cluster.kube.rejectedWrites
      cluster.kube.putObject("configmaps", NAMESPACE, CONFIGMAP, {
        data: { "carbon_cache.json": "{\"written by\": \"an operator\"}" }
      })
      const conflict = await waitUntil(() => cluster.kube.rejectedWrites > rejectedBefore, 5 * INTERVAL_MILLIS, 50)
      check(conflict, "a publish based on a stale resourceVersion was not rejected")
      const conflictLogged = await waitUntil(
        () => logLines(leaderNow.process).some((line) => /Conflict|modified/.test(line.message)),
        2_000,
        50
      )
      figures.push(
        `${
          cluster.kube.rejectedWrites - rejectedBefore
        } publish(es) on a stale resourceVersion rejected with 409 and reported: ${conflictLogged}`
      )

      // --- a leader that lost the Lease (another holder now) publishes nothing
      const foreign = "{\"written by\": \"the new holder\"}"
      cluster.kube.putObject("leases", NAMESPACE, LEASE, {
        spec: {
          holderIdentity: "intruder",
          leaseDurationSeconds: 15,
          renewTime: new Date().toISOString().replace(/Z$/, "000Z"),
          acquireTime: new Date().toISOString().replace(/Z$/, "000Z"),
          leaseTransitions: 99
        }
      })
      cluster.kube.putObject("configmaps", NAMESPACE, CONFIGMAP, { data: { "carbon_cache.json": foreign } })
      await delay(6 * INTERVAL_MILLIS)
      const stillForeign = cluster.published() === foreign
      const deposedSteppedDown = logLines(leaderNow.process).some((line) =>
        line.message.includes("intruder holds the lease")
      )
      check(stillForeign, "a deposed leader's write landed")
      check(deposedSteppedDown, "the deposed leader did not step down")
      figures.push(
        `deposed leader ${leaderNow.name}: stepped down at its next publish (${deposedSteppedDown}), the new holder's ConfigMap data untouched: ${stillForeign}`
      )
    } finally {
      for (const replica of replicas) await stop(replica.process, replica.cacheFile)
      record({
        scenario: "10 cluster mode (3 replicas, stand-in API server)",
        runs: 1,
        failures: problems.length,
        figures: `${figures.join("; ")}${problems.length > 0 ? `; BROKE: ${problems.join(" | ")}` : ""}`
      })
    }
    expect(problems).toEqual([])
  })
})
