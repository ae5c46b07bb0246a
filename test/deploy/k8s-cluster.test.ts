/**
 * Static checks of k8s-cluster.yaml (cluster mode): every object validates against the Kubernetes
 * API schema (kubernetes-models) with no unknown fields in the parts we write by hand, nothing is
 * cluster-wide but the Namespace everything lives in (first, so one `kubectl apply -f` works), and
 * the objects are wired to each other: ServiceAccount, Role, RoleBinding and Deployment agree on
 * names; the Role grants exactly the Lease and ConfigMap the env names; the consumer pod mounts
 * that ConfigMap at /cache. The Secret is not in the file (re-applying it would overwrite the key):
 * it is the one the docs tell a person to create, in that namespace.
 *
 * As in k8s.test.ts, the wiring checks return a list of problems; the "checks can fail" block
 * mutates a copy once per check and expects that check to complain.
 */
import { Deployment, type IDeployment } from "kubernetes-models/apps/v1/Deployment"
import { type ILease, Lease } from "kubernetes-models/coordination.k8s.io/v1/Lease"
import { type IPodDisruptionBudget, PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget"
import { type IRole, Role } from "kubernetes-models/rbac.authorization.k8s.io/v1/Role"
import { type IRoleBinding, RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding"
import { ConfigMap, type IConfigMap } from "kubernetes-models/v1/ConfigMap"
import type { IContainer } from "kubernetes-models/v1/Container"
import { type INamespace, Namespace } from "kubernetes-models/v1/Namespace"
import { type IPod, Pod } from "kubernetes-models/v1/Pod"
import { type ISecret, Secret } from "kubernetes-models/v1/Secret"
import { type IServiceAccount, ServiceAccount } from "kubernetes-models/v1/ServiceAccount"
import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { describe, expect, it } from "vitest"
import { parseAllDocuments } from "yaml"
import { CACHE_KEY } from "../../src/cluster/ConfigMapStore.js"
import { clusterManifestPath, manifestRole } from "../support/kube/clusterManifest.js"
import { allows } from "../support/kube/FakeKubeApiServer.js"
import { documentedImageTags, documentedSecrets, readRepoFile } from "./documented.js"

const manifestText = readFileSync(clusterManifestPath, "utf8")
const POLLER = "carbon-poller"
const CACHE_FILE = `/cache/${CACHE_KEY}`

// ---------------------------------------------------------------------------------------------
// Loading

interface Manifest {
  namespace: INamespace
  secret: ISecret
  serviceAccount: IServiceAccount
  role: IRole
  roleBinding: IRoleBinding
  lease: ILease
  configMap: IConfigMap
  deployment: IDeployment
  pdb: IPodDisruptionBudget
  consumer: IPod
}

/**
 * Kinds this file may hold besides its one Namespace: all namespaced. Another cluster-wide kind
 * (ClusterRole, a second Namespace...) is a finding, and so is a Secret (re-applying would overwrite it).
 */
const NAMESPACED_KINDS = [
  "ServiceAccount",
  "Role",
  "RoleBinding",
  "Lease",
  "ConfigMap",
  "Deployment",
  "PodDisruptionBudget",
  "Pod"
]

function parseDocuments(text: string, version: "1.1" | "1.2"): Array<unknown> {
  return parseAllDocuments(text, { version }).flatMap((doc) => {
    if (doc.errors.length > 0 || doc.warnings.length > 0) {
      throw new Error([...doc.errors, ...doc.warnings].map((e) => e.message).join("\n"))
    }
    const value: unknown = doc.toJS()
    return value === null || value === undefined ? [] : [value]
  })
}

function only<T>(objects: ReadonlyArray<unknown>, is: (o: unknown) => o is T, kind: string): T {
  const found = objects.filter(is)
  const [first] = found
  if (found.length !== 1 || first === undefined) throw new Error(`expected exactly one ${kind}, found ${found.length}`)
  return first
}

/** The docs that tell a person how to deploy cluster mode, with the text they read. */
const CLUSTER_DOCS = ["README.md", "docs/cluster.md", "k8s-cluster.yaml"] as const
const clusterDocs = CLUSTER_DOCS.map((file) => [file, readRepoFile(file)] as const)

/** The Secret as docs/cluster.md's `kubectl -n NS create secret generic NAME --from-literal=KEY=...` makes it. */
function documentedSecret(): ISecret {
  const [first] = documentedSecrets("docs/cluster.md")
  if (first === undefined) throw new Error("docs/cluster.md shows no `kubectl create secret generic`")
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: first.name, ...(first.namespace !== undefined ? { namespace: first.namespace } : {}) },
    type: "Opaque",
    stringData: { [first.key]: "the key" }
  }
}

function loadManifest(objects: ReadonlyArray<unknown>): Manifest {
  return {
    namespace: only(objects, (o): o is INamespace => Namespace.is(o), "Namespace"),
    secret: documentedSecret(),
    serviceAccount: only(objects, (o): o is IServiceAccount => ServiceAccount.is(o), "ServiceAccount"),
    role: only(objects, (o): o is IRole => Role.is(o), "Role"),
    roleBinding: only(objects, (o): o is IRoleBinding => RoleBinding.is(o), "RoleBinding"),
    lease: only(objects, (o): o is ILease => Lease.is(o), "Lease"),
    configMap: only(objects, (o): o is IConfigMap => ConfigMap.is(o), "ConfigMap"),
    deployment: only(objects, (o): o is IDeployment => Deployment.is(o), "Deployment"),
    pdb: only(objects, (o): o is IPodDisruptionBudget => PodDisruptionBudget.is(o), "PodDisruptionBudget"),
    consumer: only(objects, (o): o is IPod => Pod.is(o), "Pod")
  }
}

const objects = parseDocuments(manifestText, "1.2")
const manifest = loadManifest(objects)

const kindOf = (
  o: unknown
): string => (typeof o === "object" && o !== null && "kind" in o && typeof o.kind === "string" ? o.kind : "?")

// ---------------------------------------------------------------------------------------------
// Unknown fields (kubernetes-models ignores properties its schema does not declare)

const require = createRequire(import.meta.url)
const knownFieldsCache = new Map<string, ReadonlySet<string>>()

function knownFields(module: string): ReadonlySet<string> {
  const cached = knownFieldsCache.get(module)
  if (cached !== undefined) return cached
  const model = module.split("/").at(-1) ?? ""
  const text = readFileSync(require.resolve(`kubernetes-models/${module}`).replace(/\.js$/, ".d.ts"), "utf8")
  const start = text.indexOf(`export declare class ${model} `)
  if (start < 0) throw new Error(`no class ${model} in ${module}`)
  const block = text.slice(start, text.indexOf("\n}", start))
  const fields = new Set([...block.matchAll(/^ {4}"([A-Za-z0-9]+)"\??:/gm)].map((m) => m[1] ?? ""))
  knownFieldsCache.set(module, fields)
  return fields
}

function unknownFields(where: string, value: unknown, module: string): Array<string> {
  if (typeof value !== "object" || value === null) return []
  const allowed = knownFields(module)
  return Object.keys(value).filter((k) => !allowed.has(k)).map((k) =>
    `${where}: unknown field "${k}" (not in ${module})`
  )
}

function unknownFieldProblems(m: Manifest): Array<string> {
  const problems: Array<string> = []
  for (const [i, rule] of (m.role.rules ?? []).entries()) {
    problems.push(...unknownFields(`Role rule ${i}`, rule, "rbac.authorization.k8s.io/v1/PolicyRule"))
  }
  problems.push(...unknownFields("PDB spec", m.pdb.spec, "policy/v1/PodDisruptionBudgetSpec"))
  for (
    const [what, pod] of [["poller pod", m.deployment.spec?.template.spec], ["consumer pod", m.consumer.spec]] as const
  ) {
    problems.push(...unknownFields(what, pod, "v1/PodSpec"))
    problems.push(...unknownFields(`${what} affinity`, pod?.affinity?.podAntiAffinity, "v1/PodAntiAffinity"))
    for (const v of pod?.volumes ?? []) problems.push(...unknownFields(`${what} volume ${v.name}`, v, "v1/Volume"))
    for (const c of pod?.containers ?? []) {
      problems.push(...unknownFields(`container ${c.name}`, c, "v1/Container"))
      problems.push(...unknownFields(`container ${c.name} securityContext`, c.securityContext, "v1/SecurityContext"))
      for (const e of c.env ?? []) problems.push(...unknownFields(`container ${c.name} env ${e.name}`, e, "v1/EnvVar"))
      for (const vm of c.volumeMounts ?? []) {
        problems.push(...unknownFields(`container ${c.name} mount`, vm, "v1/VolumeMount"))
      }
    }
  }
  return problems
}

// ---------------------------------------------------------------------------------------------
// Wiring checks

const envOf = (c: IContainer | undefined, name: string) => c?.env?.find((e) => e.name === name)
const refOf = (o: { metadata?: { namespace?: string; name?: string } }) =>
  `${o.metadata?.namespace}/${o.metadata?.name}`

function quantity(q: string | number | undefined): number | undefined {
  if (q === undefined) return undefined
  if (typeof q === "number") return q
  const match = /^([0-9.]+)(m|Ki|Mi|Gi)?$/.exec(q)
  if (match === null) return undefined
  const factor: Record<string, number> = { m: 1e-3, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 }
  return Number(match[1]) * (match[2] === undefined ? 1 : (factor[match[2]] ?? Number.NaN))
}

function wiringProblems(
  m: Manifest,
  all: ReadonlyArray<unknown>,
  docs: ReadonlyArray<readonly [string, string]> = clusterDocs
): Array<string> {
  const problems: Array<string> = []
  const fail = (msg: string): void => {
    problems.push(msg)
  }

  // --- nothing cluster-wide but the Namespace, first; one namespace for all
  const namespace = m.deployment.metadata?.namespace
  if (namespace === undefined) fail("Deployment has no namespace")
  if (kindOf(all[0]) !== "Namespace") fail("the Namespace must be the first object, so one kubectl apply -f works")
  if (m.namespace.metadata?.name !== namespace) {
    fail(`Namespace ${m.namespace.metadata?.name} is not the Deployment's ${namespace}`)
  }
  for (const [i, o] of all.entries()) {
    const kind = kindOf(o)
    if (i === 0 && kind === "Namespace") continue
    if (kind === "Secret") fail("a Secret in the file: re-applying it would overwrite the key")
    else if (!NAMESPACED_KINDS.includes(kind)) fail(`${kind}: not an expected namespaced kind (nothing cluster-wide)`)
  }
  // --- the docs create the Secret the pods mount, and build the image they run
  for (const [file, text] of docs) {
    for (const s of documentedSecrets(file, text).filter((s) => s.namespace !== undefined)) {
      if (
        s.namespace !== namespace || s.name !== m.secret.metadata?.name ||
        s.key !== Object.keys(m.secret.stringData ?? {})[0]
      ) {
        fail(
          `${file}: creates Secret ${s.namespace}/${s.name} key ${s.key}, not ${namespace}/${m.secret.metadata?.name}`
        )
      }
    }
    for (const tag of documentedImageTags(file, text)) {
      const image = m.deployment.spec?.template.spec?.containers.find((c) => c.name === POLLER)?.image
      if (tag !== image) fail(`${file}: builds ${tag}, the poller runs ${image}`)
    }
  }
  for (const o of [m.secret, m.serviceAccount, m.role, m.roleBinding, m.lease, m.configMap, m.pdb, m.consumer]) {
    const ns = o.metadata?.namespace
    if (ns !== namespace) fail(`${o.kind}: namespace ${String(ns)} is not the Deployment's ${namespace}`)
  }

  // --- Deployment: replicas, identity, service account, anti-affinity
  const pod = m.deployment.spec?.template.spec
  const poller = pod?.containers.find((c) => c.name === POLLER)
  if (pod === undefined || poller === undefined) return [...problems, `no container ${POLLER} in the Deployment`]
  if ((m.deployment.spec?.replicas ?? 1) < 2) fail("Deployment needs at least 2 replicas")
  if (pod.serviceAccountName !== m.serviceAccount.metadata?.name) {
    fail(`serviceAccountName ${pod.serviceAccountName} is not the ServiceAccount ${m.serviceAccount.metadata?.name}`)
  }
  if (pod.automountServiceAccountToken === false) fail("the poller needs its service account token")
  if (envOf(poller, "POD_NAME")?.valueFrom?.fieldRef?.fieldPath !== "metadata.name") {
    fail("POD_NAME must come from the downward API (metadata.name)")
  }
  const templateLabels = m.deployment.spec?.template.metadata?.labels ?? {}
  const matches = (selector: Record<string, string> | undefined) =>
    selector !== undefined && Object.keys(selector).length > 0 &&
    Object.entries(selector).every(([k, v]) => templateLabels[k] === v)
  const anti = pod.affinity?.podAntiAffinity
  const terms = [
    ...(anti?.requiredDuringSchedulingIgnoredDuringExecution ?? []),
    ...(anti?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((w) => w.podAffinityTerm)
  ]
  if (!terms.some((t) => t.topologyKey === "kubernetes.io/hostname" && matches(t.labelSelector?.matchLabels))) {
    fail("no pod anti-affinity on kubernetes.io/hostname selecting the poller's own pods")
  }
  if (!matches(m.deployment.spec?.selector.matchLabels)) fail("Deployment selector does not match its pod template")

  // --- env names exactly the Lease and ConfigMap shipped here
  const leaseEnv = envOf(poller, "LEADER_ELECTION_LEASE")?.value
  const cmEnv = envOf(poller, "PUBLISH_CONFIGMAP")?.value
  if (leaseEnv !== refOf(m.lease)) fail(`LEADER_ELECTION_LEASE ${leaseEnv} is not the Lease ${refOf(m.lease)}`)
  if (cmEnv !== refOf(m.configMap)) fail(`PUBLISH_CONFIGMAP ${cmEnv} is not the ConfigMap ${refOf(m.configMap)}`)
  if (envOf(poller, "CACHE_FILE")?.value !== CACHE_FILE) fail(`poller CACHE_FILE must be ${CACHE_FILE}`)
  if (m.configMap.data !== undefined || m.configMap.binaryData !== undefined) {
    fail("the shipped ConfigMap must have no data (kubectl apply would reset the published cache)")
  }

  // --- RBAC: binding ties the Role to the ServiceAccount; the Role grants exactly what is needed
  const rb = m.roleBinding
  if (rb.roleRef.kind !== "Role" || rb.roleRef.name !== m.role.metadata?.name) {
    fail(`RoleBinding roleRef ${rb.roleRef.kind}/${rb.roleRef.name} is not the Role ${m.role.metadata?.name}`)
  }
  if (
    !(rb.subjects ?? []).some((s) =>
      s.kind === "ServiceAccount" && s.name === m.serviceAccount.metadata?.name && s.namespace === namespace
    )
  ) {
    fail("RoleBinding does not bind the ServiceAccount")
  }
  const leaseName = m.lease.metadata?.name
  const cmName = m.configMap.metadata?.name
  const rules = (m.role.rules ?? []).map((r) => ({ ...r, apiGroups: r.apiGroups ?? [], resources: r.resources ?? [] }))
  for (const r of rules) {
    if (r.verbs.includes("*") || r.resources.includes("*") || r.apiGroups.includes("*")) {
      fail("Role rules must not use wildcards")
    }
    const granted = new Set(r.resources)
    for (const res of granted) {
      if (res !== "leases" && res !== "configmaps") fail(`Role grants ${res}, which the poller does not use`)
    }
    for (const verb of r.verbs) {
      if (!["get", "update", "list", "watch", "create"].includes(verb)) fail(`Role grants verb ${verb}`)
    }
    if ((r.resourceNames ?? []).length === 0 && r.verbs.some((v) => v !== "create")) {
      fail(`Role rule on ${r.resources.join(",")} is not pinned with resourceNames`)
    }
  }
  for (
    const [group, resource, name] of [["coordination.k8s.io", "leases", leaseName], ["", "configmaps", cmName]] as const
  ) {
    for (const verb of ["get", "update"]) {
      if (!allows(rules, verb, group, resource, name)) fail(`Role does not allow ${verb} on ${resource}/${name}`)
    }
    if (allows(rules, "get", group, resource, "some-other-name")) fail(`Role allows ${resource} other than ${name}`)
    const pinned = rules.filter((r) => r.resources.includes(resource) && (r.resourceNames ?? []).length > 0)
    for (const r of pinned) {
      if (JSON.stringify(r.resourceNames) !== JSON.stringify([name])) {
        fail(`Role's ${resource} resourceNames ${JSON.stringify(r.resourceNames)} are not exactly [${name}]`)
      }
    }
  }

  // --- PDB keeps one replica up
  if (m.pdb.spec?.minAvailable !== 1) fail("PodDisruptionBudget minAvailable must be 1")
  if (!matches(m.pdb.spec?.selector?.matchLabels)) fail("PodDisruptionBudget selector does not match the poller pods")

  // --- the poller container: hardening, resources, key from the Secret file, probes
  const sc = poller.securityContext
  if (
    sc?.runAsNonRoot !== true || sc.readOnlyRootFilesystem !== true || sc.allowPrivilegeEscalation !== false ||
    !(sc.capabilities?.drop ?? []).includes("ALL")
  ) {
    fail(`${POLLER}: securityContext must be non-root, read-only root, no privilege escalation, drop ALL`)
  }
  if (pod.securityContext?.seccompProfile?.type !== "RuntimeDefault") fail("pod seccompProfile must be RuntimeDefault")
  const heap = /--max-old-space-size=(\d+)/.exec(envOf(poller, "NODE_OPTIONS")?.value ?? "")?.[1]
  const memLimit = quantity(poller.resources?.limits?.["memory"])
  const memRequest = quantity(poller.resources?.requests?.["memory"])
  if (memLimit === undefined || memRequest === undefined || memRequest > memLimit) {
    fail(`${POLLER}: memory request/limit missing or request above limit`)
  }
  if (heap === undefined || memLimit === undefined || Number(heap) * 2 ** 20 >= memLimit) {
    fail(`${POLLER}: --max-old-space-size must be set below the memory limit`)
  }
  // It replaces the image's NODE_OPTIONS: without the flag, SIGUSR1 could open Node's inspector.
  if (!(envOf(poller, "NODE_OPTIONS")?.value ?? "").split(/\s+/).includes("--disable-sigusr1")) {
    fail(`${POLLER}: NODE_OPTIONS must keep the image's --disable-sigusr1`)
  }
  if (envOf(poller, "ELECTRICITY_MAPS_API_KEY") !== undefined) {
    fail(`${POLLER}: the key must come from the Secret file, not the environment`)
  }
  const keyFile = envOf(poller, "ELECTRICITY_MAPS_API_KEY_FILE")?.value ?? ""
  const keyMount = poller.volumeMounts?.find((vm) => keyFile.startsWith(`${vm.mountPath}/`))
  const keyVolume = pod.volumes?.find((v) => v.name === keyMount?.name)
  if (keyVolume?.secret?.secretName !== m.secret.metadata?.name || keyMount?.readOnly !== true) {
    fail(`${POLLER}: key file is not on a read-only mount of Secret ${m.secret.metadata?.name}`)
  }
  const httpPort = Number(envOf(poller, "HTTP_PORT")?.value ?? "9477")
  const probe = (kind: "startupProbe" | "livenessProbe" | "readinessProbe", path: string) => {
    const get = poller[kind]?.httpGet
    const port = typeof get?.port === "number"
      ? get.port
      : poller.ports?.find((p) => p.name === get?.port)?.containerPort
    if (get?.path !== path || port !== httpPort) fail(`${POLLER}: ${kind} must be GET ${path} on HTTP_PORT ${httpPort}`)
  }
  probe("startupProbe", "/readyz")
  probe("livenessProbe", "/healthz")
  probe("readinessProbe", "/readyz")

  // --- the example consumer reads the ConfigMap at /cache/carbon_cache.json
  const consumer = m.consumer.spec?.containers[0]
  const mount = consumer?.volumeMounts?.find((vm) => vm.mountPath === "/cache")
  const volume = m.consumer.spec?.volumes?.find((v) => v.name === mount?.name)
  if (mount === undefined || volume?.configMap === undefined) fail("consumer: no ConfigMap volume mounted at /cache")
  else {
    if (volume.configMap.name !== cmName) fail(`consumer mounts ConfigMap ${volume.configMap.name}, not ${cmName}`)
    if (mount.readOnly !== true) fail("consumer: /cache must be read-only")
    if (mount.subPath !== undefined) fail("consumer: a subPath mount never sees ConfigMap updates")
    const items = volume.configMap.items
    if (items !== undefined && !items.some((i) => i.key === CACHE_KEY && i.path === CACHE_KEY)) {
      fail(`consumer: ${CACHE_KEY} is not mapped to /cache/${CACHE_KEY}`)
    }
  }
  if (envOf(consumer, "CACHE_FILE")?.value !== CACHE_FILE) fail(`consumer CACHE_FILE must be ${CACHE_FILE}`)

  return problems
}

// ---------------------------------------------------------------------------------------------
// Tests

describe("k8s-cluster.yaml", () => {
  it("parses as YAML 1.2 and reads the same under YAML 1.1 (kubectl)", () => {
    expect(parseDocuments(manifestText, "1.1")).toEqual(objects)
  })

  it("holds exactly the expected objects: its Namespace first, no Secret", () => {
    expect(kindOf(objects[0])).toBe("Namespace")
    expect(objects.slice(1).map(kindOf).sort()).toEqual([...NAMESPACED_KINDS].sort())
  })

  it("validates against the Kubernetes API schemas", () => {
    expect(() => new Namespace(manifest.namespace).validate()).not.toThrow()
    expect(() => new Secret(manifest.secret).validate()).not.toThrow()
    expect(() => new ServiceAccount(manifest.serviceAccount).validate()).not.toThrow()
    expect(() => new Role(manifest.role).validate()).not.toThrow()
    expect(() => new RoleBinding(manifest.roleBinding).validate()).not.toThrow()
    expect(() => new Lease(manifest.lease).validate()).not.toThrow()
    expect(() => new ConfigMap(manifest.configMap).validate()).not.toThrow()
    expect(() => new Deployment(manifest.deployment).validate()).not.toThrow()
    expect(() => new PodDisruptionBudget(manifest.pdb).validate()).not.toThrow()
    expect(() => new Pod(manifest.consumer).validate()).not.toThrow()
  })

  it("uses no field the Kubernetes API does not know", () => {
    expect(unknownFieldProblems(manifest)).toEqual([])
  })

  it("is wired correctly", () => {
    expect(wiringProblems(manifest, objects)).toEqual([])
  })

  it("is the Role the API-server stand-in enforces in the cluster tests", () => {
    const role = manifestRole()
    expect(role.rules).toEqual(manifest.role.rules?.map((r) => ({ ...r, resourceNames: r.resourceNames })))
    expect(allows(role.rules, "create", "coordination.k8s.io", "leases", undefined)).toBe(false)
  })
})

// ---------------------------------------------------------------------------------------------
// Each check can fail

type Mutation = (m: Manifest, all: Array<unknown>, docs: Array<readonly [string, string]>) => void

const pollerOf = (m: Manifest): IContainer => {
  const c = m.deployment.spec?.template.spec?.containers.find((x) => x.name === POLLER)
  if (c === undefined) throw new Error("no poller")
  return c
}
const setEnv = (c: IContainer, name: string, value: string): void => {
  const e = c.env?.find((x) => x.name === name)
  if (e === undefined) c.env = [...(c.env ?? []), { name, value }]
  else {
    delete e.valueFrom
    e.value = value
  }
}
const consumerMount = (m: Manifest) => {
  const vm = m.consumer.spec?.containers[0]?.volumeMounts?.find((x) => x.mountPath === "/cache")
  if (vm === undefined) throw new Error("no consumer mount")
  return vm
}

const mutations: ReadonlyArray<readonly [string, Mutation, RegExp]> = [
  [
    "a ClusterRole added",
    (_m, all) =>
      void all.push({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name: "x" } }),
    /ClusterRole: not an expected namespaced kind/
  ],
  ["the Namespace moved to the end", (_m, all) => void all.push(all.shift()), /Namespace must be the first object/],
  ["a Secret back in the file", (m, all) => void all.push(m.secret), /a Secret in the file/],
  ["the docs create the Secret in another namespace", (_m, _all, docs) => {
    docs.push([
      "docs/cluster.md",
      "kubectl -n default create secret generic carbon-poller-api-key --from-literal=api-key=x"
    ])
  }, /creates Secret default\/carbon-poller-api-key/],
  ["the docs build another image", (_m, _all, docs) => {
    docs.push(["docs/cluster.md", "docker build -t carbon-api:latest ."])
  }, /builds carbon-api:latest/],
  ["the Namespace renamed", (m) => {
    if (m.namespace.metadata) m.namespace.metadata.name = "other"
  }, /Namespace other is not the Deployment's carbon-aware/],
  ["an object in another namespace", (m) => {
    if (m.lease.metadata) m.lease.metadata.namespace = "default"
  }, /Lease: namespace default/],
  ["one replica", (m) => {
    if (m.deployment.spec) m.deployment.spec.replicas = 1
  }, /at least 2 replicas/],
  ["service account name mismatch", (m) => {
    const pod = m.deployment.spec?.template.spec
    if (pod) pod.serviceAccountName = "default"
  }, /serviceAccountName default/],
  ["POD_NAME literal", (m) => setEnv(pollerOf(m), "POD_NAME", "pod-a"), /POD_NAME must come from the downward API/],
  ["anti-affinity on zone", (m) => {
    for (
      const t of m.deployment.spec?.template.spec?.affinity?.podAntiAffinity
        ?.preferredDuringSchedulingIgnoredDuringExecution ?? []
    ) t.podAffinityTerm.topologyKey = "topology.kubernetes.io/zone"
  }, /anti-affinity on kubernetes.io\/hostname/],
  [
    "lease env names another lease",
    (m) => setEnv(pollerOf(m), "LEADER_ELECTION_LEASE", "carbon-aware/other"),
    /LEADER_ELECTION_LEASE carbon-aware\/other/
  ],
  [
    "configmap env names another namespace",
    (m) => setEnv(pollerOf(m), "PUBLISH_CONFIGMAP", "default/carbon-poller-cache"),
    /PUBLISH_CONFIGMAP default/
  ],
  ["shipped ConfigMap with data", (m) => {
    m.configMap.data = { [CACHE_KEY]: "{}" }
  }, /must have no data/],
  ["binding to another role", (m) => {
    m.roleBinding.roleRef.name = "admin"
  }, /roleRef Role\/admin/],
  ["binding to a ClusterRole", (m) => {
    m.roleBinding.roleRef.kind = "ClusterRole"
  }, /roleRef ClusterRole/],
  ["binding without the service account", (m) => {
    m.roleBinding.subjects = [{ kind: "ServiceAccount", name: "default", namespace: "carbon-aware" }]
  }, /does not bind the ServiceAccount/],
  ["lease rule not pinned", (m) => {
    const rule = m.role.rules?.find((r) => r.resources?.includes("leases"))
    if (rule) delete rule.resourceNames
  }, /leases is not pinned|allows leases other than/],
  ["lease rule pinned to another name", (m) => {
    const rule = m.role.rules?.find((r) => r.resources?.includes("leases"))
    if (rule) rule.resourceNames = ["other"]
  }, /does not allow get on leases\/carbon-poller-leader/],
  ["configmap rule lacks update", (m) => {
    const rule = m.role.rules?.find((r) => r.resources?.includes("configmaps"))
    if (rule) rule.verbs = ["get"]
  }, /does not allow update on configmaps/],
  ["wildcard verb", (m) => {
    const rule = m.role.rules?.[0]
    if (rule) rule.verbs = ["*"]
  }, /wildcards/],
  ["secrets granted", (m) => {
    m.role.rules?.push({ apiGroups: [""], resources: ["secrets"], verbs: ["get"], resourceNames: ["x"] })
  }, /grants secrets/],
  ["delete granted", (m) => {
    m.role.rules?.[0]?.verbs.push("delete")
  }, /grants verb delete/],
  ["PDB minAvailable 0", (m) => {
    if (m.pdb.spec) m.pdb.spec.minAvailable = 0
  }, /minAvailable must be 1/],
  ["PDB selects other pods", (m) => {
    if (m.pdb.spec) m.pdb.spec.selector = { matchLabels: { app: "other" } }
  }, /PodDisruptionBudget selector/],
  ["poller writable root", (m) => {
    const sc = pollerOf(m).securityContext
    if (sc) sc.readOnlyRootFilesystem = false
  }, /securityContext must be/],
  [
    "heap above limit",
    (m) => setEnv(pollerOf(m), "NODE_OPTIONS", "--max-old-space-size=1024"),
    /max-old-space-size must be set below/
  ],
  [
    "NODE_OPTIONS without --disable-sigusr1",
    (m) => setEnv(pollerOf(m), "NODE_OPTIONS", "--max-old-space-size=96 --max-semi-space-size=1"),
    /--disable-sigusr1/
  ],
  ["key as literal env", (m) => setEnv(pollerOf(m), "ELECTRICITY_MAPS_API_KEY", "sk"), /not the environment/],
  ["readiness on /healthz", (m) => {
    const g = pollerOf(m).readinessProbe?.httpGet
    if (g) g.path = "/healthz"
  }, /readinessProbe must be GET \/readyz/],
  ["consumer mounts elsewhere", (m) => {
    consumerMount(m).mountPath = "/data"
  }, /no ConfigMap volume mounted at \/cache/],
  ["consumer mounts another ConfigMap", (m) => {
    for (const v of m.consumer.spec?.volumes ?? []) if (v.configMap) v.configMap.name = "other"
  }, /mounts ConfigMap other/],
  ["consumer uses subPath", (m) => {
    consumerMount(m).subPath = CACHE_KEY
  }, /subPath/],
  ["consumer key mapped elsewhere", (m) => {
    for (const v of m.consumer.spec?.volumes ?? []) for (const i of v.configMap?.items ?? []) i.path = "cache.json"
  }, /is not mapped/]
]

describe("k8s-cluster.yaml checks can fail", () => {
  it.each(mutations.map(([name, mutate, expected]) => ({ name, mutate, expected })))(
    "$name",
    ({ expected, mutate }) => {
      const copy = structuredClone(manifest)
      const all = structuredClone(objects)
      const docs = [...clusterDocs]
      mutate(copy, all, docs)
      const problems = wiringProblems(copy, all, docs)
      expect(problems.some((p) => expected.test(p)), `problems: ${JSON.stringify(problems)}`).toBe(true)
    }
  )

  it("the unknown-field check catches a misspelt field", () => {
    const copy = structuredClone(manifest)
    Object.assign(copy.role.rules?.[0] ?? {}, { resourceName: ["x"] })
    Object.assign(pollerOf(copy), { volumeMount: [] })
    expect(unknownFieldProblems(copy)).toEqual([
      expect.stringMatching(/resourceName/),
      expect.stringMatching(/volumeMount/)
    ])
  })

  it("schema validation rejects a wrongly typed field", () => {
    const copy = structuredClone(manifest.pdb)
    Object.assign(copy.spec ?? {}, { minAvailable: true })
    expect(() => new PodDisruptionBudget(copy).validate()).toThrow(/minAvailable/)
  })
})
