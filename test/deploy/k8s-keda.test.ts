/**
 * Static checks of k8s-keda.yaml (the KEDA forecast ConfigMap on top of k8s-cluster.yaml): the
 * built-in kinds validate against the Kubernetes API schema (kubernetes-models), the
 * CarbonAwareKedaScaler against a schema written from its CRD, and the objects are wired to each
 * other and to k8s-cluster.yaml: the Role pins the ConfigMap by name, the binding gives it to the
 * poller's ServiceAccount, the scaler reads that ConfigMap's `data` key, the Service selects the
 * poller's pods, and the `kubectl set env` line in the header names the same ConfigMap and a
 * polled zone. As in k8s-cluster.test.ts, each check is mutated once and must complain.
 */
import { Either } from "effect"
import { type IRole, Role } from "kubernetes-models/rbac.authorization.k8s.io/v1/Role"
import { type IRoleBinding, RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding"
import { ConfigMap, type IConfigMap } from "kubernetes-models/v1/ConfigMap"
import { type IService, Service } from "kubernetes-models/v1/Service"
import { readFileSync } from "node:fs"
import path from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { parseAllDocuments } from "yaml"
import { RECORDS_KEY } from "../../src/outputs/keda/ExporterFormat.js"
import { clusterManifestObjects, manifestEnv } from "../support/kube/clusterManifest.js"
import { allows } from "../support/kube/FakeKubeApiServer.js"
import { CarbonAwareKedaScaler, decodeStrict } from "./crdSchemas.js"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..")
const kedaManifestText = readFileSync(path.join(root, "k8s-keda.yaml"), "utf8")
const objects = clusterManifestObjects(kedaManifestText)
const cluster = clusterManifestObjects()

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)
const kindOf = (o: Record<string, unknown>): string => String(o["kind"])
const only = <T>(kind: string, is: (o: unknown) => o is T, from: ReadonlyArray<unknown> = objects): T => {
  const found = from.filter((o) => isRecord(o) && o["kind"] === kind)
  const [first] = found
  if (found.length !== 1 || !is(first)) throw new Error(`expected exactly one ${kind}, found ${found.length}`)
  return first
}

interface Manifest {
  role: IRole
  roleBinding: IRoleBinding
  configMap: IConfigMap
  service: IService
  scaler: unknown
  header: string
}

const load = (): Manifest => ({
  role: only("Role", (o): o is IRole => Role.is(o)),
  roleBinding: only("RoleBinding", (o): o is IRoleBinding => RoleBinding.is(o)),
  configMap: only("ConfigMap", (o): o is IConfigMap => ConfigMap.is(o)),
  service: only("Service", (o): o is IService => Service.is(o)),
  scaler: only("CarbonAwareKedaScaler", isRecord),
  header: kedaManifestText.slice(0, kedaManifestText.indexOf("\n---"))
})
const manifest = load()

/** The cluster Deployment's pod template and ServiceAccount, which this file builds on. */
const deployment = cluster.find((o) => o["kind"] === "Deployment")
const templateLabels = (): Record<string, unknown> => {
  const spec = isRecord(deployment?.["spec"]) ? deployment["spec"] : {}
  const template = isRecord(spec["template"]) ? spec["template"] : {}
  const metadata = isRecord(template["metadata"]) ? template["metadata"] : {}
  return isRecord(metadata["labels"]) ? metadata["labels"] : {}
}
const clusterNamespace = String(isRecord(deployment?.["metadata"]) ? deployment["metadata"]["namespace"] : "")
const serviceAccount = cluster.find((o) => o["kind"] === "ServiceAccount")
const serviceAccountName = String(isRecord(serviceAccount?.["metadata"]) ? serviceAccount["metadata"]["name"] : "")

function wiringProblems(m: Manifest): Array<string> {
  const problems: Array<string> = []
  const fail = (msg: string) => void problems.push(msg)
  const cmName = m.configMap.metadata?.name
  const cmRef = `${m.configMap.metadata?.namespace}/${cmName}`

  for (const o of [m.role, m.roleBinding, m.configMap, m.service]) {
    if (o.metadata?.namespace !== clusterNamespace) fail(`${o.kind}: not in ${clusterNamespace}`)
  }

  // --- the Role: exactly that ConfigMap by name; create (which RBAC cannot pin) and nothing else
  const rules = (m.role.rules ?? []).map((r) => ({ ...r, apiGroups: r.apiGroups ?? [], resources: r.resources ?? [] }))
  for (const r of rules) {
    if ([...r.verbs, ...r.resources, ...r.apiGroups].includes("*")) fail("Role rules must not use wildcards")
    if (r.resources.some((res) => res !== "configmaps")) fail(`Role grants ${r.resources.join(",")}`)
    for (const verb of r.verbs) {
      if (!["get", "update", "list", "watch", "create"].includes(verb)) fail(`Role grants verb ${verb}`)
    }
    const pinned = (r.resourceNames ?? []).length > 0
    if (!pinned && r.verbs.some((v) => v !== "create")) {
      fail(`Role rule ${r.verbs.join(",")} is not pinned by resourceNames`)
    }
    if (pinned && JSON.stringify(r.resourceNames) !== JSON.stringify([cmName])) {
      fail(`Role resourceNames ${JSON.stringify(r.resourceNames)} are not exactly [${cmName}]`)
    }
  }
  for (const verb of ["get", "update", "create"]) {
    if (!allows(rules, verb, "", "configmaps", cmName)) fail(`Role does not allow ${verb} on configmaps/${cmName}`)
  }
  for (const verb of ["get", "update", "delete", "patch"]) {
    if (allows(rules, verb, "", "configmaps", "another-configmap")) fail(`Role allows ${verb} on another ConfigMap`)
  }
  if (allows(rules, "delete", "", "configmaps", cmName)) fail("Role allows delete: the ConfigMap is never deleted")

  // --- the binding gives that Role to the poller's ServiceAccount
  const rb = m.roleBinding
  if (rb.roleRef.kind !== "Role" || rb.roleRef.name !== m.role.metadata?.name) {
    fail(`RoleBinding roleRef ${rb.roleRef.kind}/${rb.roleRef.name} is not the Role ${m.role.metadata?.name}`)
  }
  const bound = (rb.subjects ?? []).some((s) =>
    s.kind === "ServiceAccount" && s.name === serviceAccountName && s.namespace === clusterNamespace
  )
  if (!bound) fail(`RoleBinding does not bind ServiceAccount ${clusterNamespace}/${serviceAccountName}`)

  // --- the ConfigMap ships empty and mutable: apply never wipes the records, and they can be updated
  if (m.configMap.data !== undefined || m.configMap.binaryData !== undefined) {
    fail("the shipped ConfigMap must be empty")
  }
  if (m.configMap.immutable !== undefined) fail("the ConfigMap must not be immutable: it is updated in place")

  // --- the CarbonAwareKedaScaler reads exactly that ConfigMap's records
  const scaler = decodeStrict(CarbonAwareKedaScaler)(m.scaler)
  if (Either.isLeft(scaler)) fail(`CarbonAwareKedaScaler does not match its CRD: ${scaler.left.message}`)
  else {
    const source = scaler.right.spec.carbonIntensityForecastDataSource
    const local = source.localConfigMap
    if (`${local?.namespace}/${local?.name}` !== cmRef) {
      fail(`CarbonAwareKedaScaler reads ConfigMap ${local?.namespace}/${local?.name}, not ${cmRef}`)
    }
    if (local?.key !== RECORDS_KEY) fail(`CarbonAwareKedaScaler reads key ${local?.key}, not ${RECORDS_KEY}`)
    if (source.mockCarbonForecast === true) fail("CarbonAwareKedaScaler uses the mock forecast")
    const lookBack = scaler.right.spec.ecoModeOff.carbonIntensityDuration?.overrideEcoAfterDurationInMins ?? 0
    if (lookBack > 1440) fail(`the look back of ${lookBack} minutes is longer than the day of records kept`)
  }

  // --- the env line names that ConfigMap, a polled zone, and turns forecasts on
  const setEnv = /kubectl -n (\S+) set env deployment\/(\S+) \\\n#\s+(.*)/.exec(m.header)
  const assignments = new Map((setEnv?.[3] ?? "").split(/\s+/).map((a) => [a.split("=")[0], a.split("=")[1]]))
  const deploymentName = isRecord(deployment?.["metadata"]) ? deployment["metadata"]["name"] : undefined
  if (setEnv?.[1] !== clusterNamespace || setEnv[2] !== deploymentName) {
    fail(`the header's set env does not target deployment ${clusterNamespace}/${String(deploymentName)}`)
  }
  if (assignments.get("KEDA_CONFIGMAP") !== cmRef) fail(`the header's KEDA_CONFIGMAP is not ${cmRef}`)
  const zones = manifestEnv("ZONES").split(",")
  if (!zones.includes(assignments.get("KEDA_ZONE") ?? "")) {
    fail("the header's KEDA_ZONE is not one of the Deployment's ZONES")
  }
  if ((assignments.get("FORECAST_WINDOWS_MINUTES") ?? "") === "") fail("the header does not turn forecasts on")

  // --- the Service reaches the poller's HTTP port
  const selector = m.service.spec?.selector ?? {}
  const labels = templateLabels()
  if (
    Object.keys(selector).length === 0 || !Object.entries(selector).every(([k, v]) => labels[k] === v)
  ) fail("the Service does not select the poller's pods")
  const port = m.service.spec?.ports?.find((p) => p.name === "http")
  if (port?.port !== 9477 || port.targetPort !== "http") {
    fail("the Service must expose port 9477 to the pods' http port")
  }
  return problems
}

describe("k8s-keda.yaml", () => {
  it("holds exactly the expected objects, and reads the same as YAML 1.1 (kubectl)", () => {
    expect(objects.map(kindOf).sort()).toEqual(
      ["CarbonAwareKedaScaler", "ConfigMap", "Role", "RoleBinding", "Service"].sort()
    )
    const asYaml11 = parseAllDocuments(kedaManifestText, { version: "1.1" }).map((doc) => doc.toJS())
    expect(asYaml11.filter((o) => o !== null)).toEqual(objects)
  })

  it("validates against the Kubernetes API schemas and the CarbonAwareKedaScaler CRD", () => {
    expect(() => new Role(manifest.role).validate()).not.toThrow()
    expect(() => new RoleBinding(manifest.roleBinding).validate()).not.toThrow()
    expect(() => new ConfigMap(manifest.configMap).validate()).not.toThrow()
    expect(() => new Service(manifest.service).validate()).not.toThrow()
    const scaler = decodeStrict(CarbonAwareKedaScaler)(manifest.scaler)
    expect(Either.isRight(scaler) ? "ok" : scaler.left.message).toBe("ok")
  })

  it("is wired to itself and to k8s-cluster.yaml", () => {
    expect(wiringProblems(manifest)).toEqual([])
  })
})

type Mutation = (m: Manifest) => void
const scalerSource = (m: Manifest): Record<string, unknown> => {
  const spec = isRecord(m.scaler) && isRecord(m.scaler["spec"]) ? m.scaler["spec"] : {}
  const source = spec["carbonIntensityForecastDataSource"]
  const local = isRecord(source) ? source["localConfigMap"] : undefined
  if (!isRecord(local)) throw new Error("no localConfigMap")
  return local
}
const pinnedRule = (m: Manifest) => {
  const rule = m.role.rules?.find((r) => (r.resourceNames ?? []).length > 0)
  if (rule === undefined) throw new Error("no pinned rule")
  return rule
}

const mutations: ReadonlyArray<readonly [string, Mutation, RegExp]> = [
  ["the Role not pinned by name", (m) => void delete pinnedRule(m).resourceNames, /not pinned by resourceNames/],
  ["the Role pinned to another name", (m) => void (pinnedRule(m).resourceNames = ["other"]), /are not exactly/],
  ["the Role grants delete", (m) => void pinnedRule(m).verbs.push("delete"), /grants verb delete/],
  [
    "the Role grants secrets",
    (m) => void m.role.rules?.push({ apiGroups: [""], resources: ["secrets"], verbs: ["get"], resourceNames: ["x"] }),
    /grants secrets/
  ],
  ["the Role lacks update", (m) => void (pinnedRule(m).verbs = ["get"]), /does not allow update/],
  ["the Role lacks create", (m) => void (m.role.rules = [pinnedRule(m)]), /does not allow create/],
  [
    "the binding names another account",
    (m) => void (m.roleBinding.subjects = [{ kind: "ServiceAccount", name: "default", namespace: clusterNamespace }]),
    /does not bind/
  ],
  ["the ConfigMap shipped with records", (m) => void (m.configMap.binaryData = { data: "W10=" }), /must be empty/],
  ["the ConfigMap immutable", (m) => void (m.configMap.immutable = true), /must not be immutable/],
  ["the scaler reads another ConfigMap", (m) => void (scalerSource(m)["name"] = "carbonintensity"), /reads ConfigMap/],
  ["the scaler reads another namespace", (m) => void (scalerSource(m)["namespace"] = "kube-system"), /reads ConfigMap/],
  ["the scaler reads another key", (m) => void (scalerSource(m)["key"] = "forecast"), /reads key forecast/],
  ["the scaler with a misspelt field", (m) => void (scalerSource(m)["nmae"] = "x"), /does not match its CRD/],
  [
    "the env line names another ConfigMap",
    (m) =>
      void (m.header = m.header.replace(
        "KEDA_CONFIGMAP=carbon-aware/carbon-intensity",
        "KEDA_CONFIGMAP=kube-system/x"
      )),
    /KEDA_CONFIGMAP/
  ],
  [
    "the env line names an unpolled zone",
    (m) => void (m.header = m.header.replace(/KEDA_ZONE=\S+/, "KEDA_ZONE=DE")),
    /KEDA_ZONE/
  ],
  [
    "the Service selects other pods",
    (m) => void (m.service.spec = { ...m.service.spec, selector: { app: "x" } }),
    /does not select/
  ]
]

describe("k8s-keda.yaml checks can fail", () => {
  it.each(mutations.map(([name, mutate, expected]) => ({ name, mutate, expected })))(
    "$name",
    ({ expected, mutate }) => {
      const copy = structuredClone(manifest)
      mutate(copy)
      const problems = wiringProblems(copy)
      expect(problems.some((p) => expected.test(p)), `problems: ${JSON.stringify(problems)}`).toBe(true)
    }
  )
})
