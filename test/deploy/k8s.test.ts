/**
 * Static checks of k8s.yaml: every object validates against the Kubernetes API schema
 * (kubernetes-models), uses no field the API does not know, and is wired the way the service needs
 * (shared cache volume, key from the Secret, probes on HTTP_PORT, native sidecar, hardening, labels).
 * The Secret is not in the file (re-applying it would overwrite the key): it is the one the docs
 * tell a person to create, and the image is the one they tell a person to build and load.
 *
 * The wiring checks are plain functions returning a list of problems. The real manifest must give an
 * empty list; the "each check can fail" block mutates a copy of the manifest once per check and
 * expects that check to complain, so no check is vacuous.
 */
import { Deployment } from "kubernetes-models/apps/v1/Deployment"
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment"
import type { IContainer } from "kubernetes-models/v1/Container"
import type { IProbe } from "kubernetes-models/v1/Probe"
import { Secret } from "kubernetes-models/v1/Secret"
import type { ISecret } from "kubernetes-models/v1/Secret"
import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import path from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { parseAllDocuments } from "yaml"
import { DEPLOY_DOCS, documentedImageTags, documentedSecrets, isUnregistered } from "./documented.js"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..")
const manifestText = readFileSync(path.join(root, "k8s.yaml"), "utf8")
const dockerfileText = readFileSync(path.join(root, "Dockerfile"), "utf8")
const packageVersion = readVersion(readFileSync(path.join(root, "package.json"), "utf8"))

const POLLER = "carbon-poller"
const DEFAULT_HTTP_PORT = 9477
const DEFAULT_CACHE_FILE = "/cache/carbon_cache.json"
const STANDARD_LABELS = [
  "app.kubernetes.io/name",
  "app.kubernetes.io/instance",
  "app.kubernetes.io/component",
  "app.kubernetes.io/part-of",
  "app.kubernetes.io/version"
] as const

// ---------------------------------------------------------------------------------------------
// Loading

interface Manifest {
  readonly secret: ISecret
  readonly deployment: IDeployment
}

function isRecord(u: unknown): u is Record<string, unknown> {
  return typeof u === "object" && u !== null && !Array.isArray(u)
}

function readVersion(json: string): string {
  const parsed: unknown = JSON.parse(json)
  if (isRecord(parsed) && typeof parsed["version"] === "string") return parsed["version"]
  throw new Error("package.json has no version")
}

/** Parses every document; YAML errors or warnings throw. `version` selects the YAML spec. */
function parseDocuments(text: string, version: "1.1" | "1.2"): Array<unknown> {
  return parseAllDocuments(text, { version }).flatMap((doc) => {
    if (doc.errors.length > 0 || doc.warnings.length > 0) {
      throw new Error([...doc.errors, ...doc.warnings].map((e) => e.message).join("\n"))
    }
    const value: unknown = doc.toJS()
    return value === null || value === undefined ? [] : [value]
  })
}

/** The Secret as the README's `kubectl create secret generic NAME --from-literal=KEY=...` makes it. */
function documentedSecret(): ISecret {
  const [first] = documentedSecrets("README.md").filter((s) => s.namespace === undefined)
  if (first === undefined) throw new Error("the README shows no `kubectl create secret generic` for k8s.yaml")
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: first.name },
    type: "Opaque",
    stringData: { [first.key]: "the key" }
  }
}

function loadManifest(objects: ReadonlyArray<unknown>): Manifest {
  const deployments = objects.filter((o): o is IDeployment => Deployment.is(o))
  const [deployment] = deployments
  if (deployments.length !== 1 || deployment === undefined) throw new Error("expected exactly one Deployment")
  return { secret: documentedSecret(), deployment }
}

const objects = parseDocuments(manifestText, "1.2")
const manifest = loadManifest(objects)

/**
 * What a person is told and what the manifest does agree: no Secret in the file (`kubectl apply`
 * would overwrite the one they created), every documented `create secret` names the Secret and key
 * the pod mounts, and the image is the tag every document builds, one that cannot be pulled and so
 * is never tried from a registry.
 */
function instructionProblems(m: Manifest, all: ReadonlyArray<unknown>, docs: ReadonlyArray<readonly [string, string]>) {
  const problems: Array<string> = []
  if (all.some((o) => Secret.is(o))) problems.push("k8s.yaml holds a Secret: re-applying it would overwrite the key")
  const pod = m.deployment.spec?.template.spec
  const poller = pod?.initContainers?.find((c) => c.name === POLLER)
  const keyVolume = pod?.volumes?.find((v) => v.secret !== undefined)?.secret
  const secrets = docs.flatMap(([file, text]) => documentedSecrets(file, text)).filter((s) => s.namespace === undefined)
  if (secrets.length === 0) problems.push("no document says how to create the Secret")
  for (const s of secrets) {
    const keys = keyVolume?.items?.map((i) => i.key) ?? []
    if (s.name !== keyVolume?.secretName || !keys.includes(s.key)) {
      problems.push(`${s.file}: creates Secret ${s.name} key ${s.key}, the pod mounts ${keyVolume?.secretName} ${keys}`)
    }
  }
  const image = poller?.image ?? ""
  const tags = docs.flatMap(([file, text]) => documentedImageTags(file, text).map((tag) => [file, tag] as const))
  if (tags.length === 0) problems.push("no document says how to build the image")
  for (const [file, tag] of tags) if (tag !== image) problems.push(`${file}: builds ${tag}, the pod runs ${image}`)
  if (image.endsWith(":latest") || !image.includes(":")) problems.push(`image ${image}: use a version tag, not latest`)
  if (image.split(":").at(-1) !== packageVersion) {
    problems.push(`image ${image}: tag is not package.json ${packageVersion}`)
  }
  if (isUnregistered(image) && poller?.imagePullPolicy !== "Never") {
    problems.push(`image ${image} is in no registry: imagePullPolicy must be Never (a pull can only fail, confusingly)`)
  }
  return problems
}

const deployDocs = DEPLOY_DOCS.map((file) => [file, readFileSync(path.join(root, file), "utf8")] as const)

// ---------------------------------------------------------------------------------------------
// Unknown fields: kubernetes-models' validators ignore properties the schema does not declare, so
// a typo such as `readOnlyRootFileSystem` would pass. The allowed names come from the package's
// own type declarations (the `export declare class X` block of each model's .d.ts).

const require = createRequire(import.meta.url)
const knownFieldsCache = new Map<string, ReadonlySet<string>>()

function knownFields(model: string): ReadonlySet<string> {
  const cached = knownFieldsCache.get(model)
  if (cached !== undefined) return cached
  const dts = require.resolve(`kubernetes-models/v1/${model}`).replace(/\.js$/, ".d.ts")
  const text = readFileSync(dts, "utf8")
  const start = text.indexOf(`export declare class ${model} `)
  if (start < 0) throw new Error(`no class ${model} in ${dts}`)
  const block = text.slice(start, text.indexOf("\n}", start))
  const fields = new Set([...block.matchAll(/^ {4}"([A-Za-z0-9]+)"\??:/gm)].map((m) => m[1] ?? ""))
  if (fields.size === 0) throw new Error(`no fields parsed for ${model}`)
  knownFieldsCache.set(model, fields)
  return fields
}

function unknownFields(where: string, value: unknown, model: string): Array<string> {
  if (!isRecord(value)) return []
  const allowed = knownFields(model)
  return Object.keys(value)
    .filter((k) => !allowed.has(k))
    .map((k) => `${where}: unknown field "${k}" (not in ${model})`)
}

function unknownFieldProblems(m: Manifest): Array<string> {
  const pod = m.deployment.spec?.template.spec
  const problems = unknownFields("pod spec", pod, "PodSpec")
  problems.push(...unknownFields("pod securityContext", pod?.securityContext, "PodSecurityContext"))
  for (const v of pod?.volumes ?? []) problems.push(...unknownFields(`volume ${v.name}`, v, "Volume"))
  for (const c of [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])]) {
    const at = `container ${c.name}`
    problems.push(...unknownFields(at, c, "Container"))
    problems.push(...unknownFields(`${at} securityContext`, c.securityContext, "SecurityContext"))
    problems.push(...unknownFields(`${at} resources`, c.resources, "ResourceRequirements"))
    for (const p of c.ports ?? []) problems.push(...unknownFields(`${at} port`, p, "ContainerPort"))
    for (const e of c.env ?? []) problems.push(...unknownFields(`${at} env ${e.name}`, e, "EnvVar"))
    for (const vm of c.volumeMounts ?? []) problems.push(...unknownFields(`${at} mount`, vm, "VolumeMount"))
    for (const [kind, probe] of probesOf(c)) {
      problems.push(...unknownFields(`${at} ${kind}`, probe, "Probe"))
      problems.push(...unknownFields(`${at} ${kind}.httpGet`, probe.httpGet, "HTTPGetAction"))
    }
  }
  return problems
}

// ---------------------------------------------------------------------------------------------
// Helpers

const probesOf = (c: IContainer): Array<readonly [string, IProbe]> =>
  (
    [
      ["startupProbe", c.startupProbe],
      ["livenessProbe", c.livenessProbe],
      ["readinessProbe", c.readinessProbe]
    ] as const
  ).flatMap(([k, p]) => (p === undefined ? [] : [[k, p] as const]))

const envValue = (c: IContainer, name: string): string | undefined => c.env?.find((e) => e.name === name)?.value

/** HTTP_PORT as the service reads it: the env value, or its default 9477. */
function httpPortOf(c: IContainer): number {
  const raw = envValue(c, "HTTP_PORT")
  return raw === undefined ? DEFAULT_HTTP_PORT : Number(raw)
}

/** Parses a Kubernetes quantity (the forms used here: plain, m, Ki, Mi, Gi, k, M, G) into a number. */
function quantity(q: string | number | undefined): number | undefined {
  if (q === undefined) return undefined
  if (typeof q === "number") return q
  const match = /^([0-9.]+)(m|Ki|Mi|Gi|k|M|G)?$/.exec(q)
  if (match === null) return undefined
  const factor: Record<string, number> = { m: 1e-3, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, k: 1e3, M: 1e6, G: 1e9 }
  return Number(match[1]) * (match[2] === undefined ? 1 : (factor[match[2]] ?? Number.NaN))
}

const parentDir = (file: string): string => path.posix.dirname(file)

/** The numeric uid of the Dockerfile's last USER instruction (the runtime stage's user). */
function dockerfileUid(text: string): number | undefined {
  const users = [...text.matchAll(/^\s*USER\s+(\S+)/gim)].map((m) => m[1] ?? "")
  const last = users.at(-1)
  const uid = last?.split(":")[0]
  return uid !== undefined && /^\d+$/.test(uid) ? Number(uid) : undefined
}

// ---------------------------------------------------------------------------------------------
// Wiring checks

function wiringProblems(m: Manifest, dockerfile: string): Array<string> {
  const problems: Array<string> = []
  const fail = (msg: string): void => {
    problems.push(msg)
  }
  const pod = m.deployment.spec?.template.spec
  if (pod === undefined) return ["Deployment has no pod template spec"]

  // --- containers: poller as native sidecar, exactly one main container (the scheduler)
  const poller = pod.initContainers?.find((c) => c.name === POLLER)
  if (poller === undefined) return [`no init container named ${POLLER} (native sidecar)`]
  if (pod.containers.some((c) => c.name === POLLER)) fail(`${POLLER} must be a native sidecar, not in containers`)
  if (poller.restartPolicy !== "Always") fail(`${POLLER}: restartPolicy must be Always (native sidecar)`)
  const [scheduler, ...others] = pod.containers
  if (scheduler === undefined || others.length > 0) {
    return [...problems, "expected exactly one main container (the scheduler)"]
  }

  // --- HTTP port: env, containerPort, probes and the prometheus annotation agree
  const port = httpPortOf(poller)
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    fail(`${POLLER}: HTTP_PORT must be a port number, got ${port}`)
  }
  const declared = poller.ports?.find((p) => p.containerPort === port)
  if (declared === undefined) fail(`${POLLER}: no containerPort equal to HTTP_PORT ${port}`)
  const resolvePort = (p: string | number): number | undefined =>
    typeof p === "number" ? p : poller.ports?.find((cp) => cp.name === p)?.containerPort
  const expectProbe = (kind: "startupProbe" | "livenessProbe" | "readinessProbe", wantPath: string): void => {
    const probe = poller[kind]
    if (probe === undefined) return fail(`${POLLER}: ${kind} missing`)
    const get = probe.httpGet
    if (get === undefined) return fail(`${POLLER}: ${kind} must be an httpGet probe`)
    if (get.path !== wantPath) fail(`${POLLER}: ${kind} path must be ${wantPath}, got ${get.path}`)
    const resolved = resolvePort(get.port)
    if (resolved !== port) fail(`${POLLER}: ${kind} port ${get.port} resolves to ${resolved}, not HTTP_PORT ${port}`)
  }
  expectProbe("startupProbe", "/readyz")
  expectProbe("livenessProbe", "/healthz")
  expectProbe("readinessProbe", "/readyz")
  const startup = poller.startupProbe
  if (startup !== undefined) {
    // The first poll needs time (retries with backoff); give it at least a minute before restarts.
    const window = (startup.periodSeconds ?? 10) * (startup.failureThreshold ?? 3)
    if (window < 60) fail(`${POLLER}: startupProbe allows only ${window}s for the first cache`)
  }
  const annotations = m.deployment.spec?.template.metadata?.annotations ?? {}
  const promPort = annotations["prometheus.io/port"]
  if (promPort !== undefined && promPort !== String(port)) {
    fail(`prometheus.io/port ${promPort} is not HTTP_PORT ${port}`)
  }
  const promPath = annotations["prometheus.io/path"]
  if (promPath !== undefined && promPath !== "/metrics") fail(`prometheus.io/path must be /metrics`)

  // --- cache volume: an emptyDir with sizeLimit, written by the poller, read-only in the scheduler
  const cacheFile = envValue(poller, "CACHE_FILE") ?? DEFAULT_CACHE_FILE
  const cacheDir = parentDir(cacheFile)
  if (cacheDir !== "/cache") fail(`${POLLER}: CACHE_FILE should be under /cache, got ${cacheFile}`)
  const pollerMount = poller.volumeMounts?.find((vm) => vm.mountPath === cacheDir)
  if (pollerMount === undefined) {
    fail(`${POLLER}: nothing mounted at ${cacheDir} (directory of CACHE_FILE)`)
  } else {
    if (pollerMount.readOnly === true) fail(`${POLLER}: cache mount must be writable`)
    const volume = pod.volumes?.find((v) => v.name === pollerMount.name)
    if (volume?.emptyDir === undefined) fail(`volume ${pollerMount.name} must be an emptyDir`)
    else if (volume.emptyDir.sizeLimit === undefined) fail(`volume ${pollerMount.name}: emptyDir needs a sizeLimit`)
    const schedMount = scheduler.volumeMounts?.find((vm) => vm.name === pollerMount.name)
    if (schedMount === undefined) fail(`scheduler does not mount the cache volume ${pollerMount.name}`)
    else {
      if (schedMount.readOnly !== true) fail(`scheduler must mount the cache volume read-only`)
      if (schedMount.mountPath !== "/cache") fail(`scheduler must mount the cache at /cache`)
    }
  }
  const schedCacheFile = envValue(scheduler, "CACHE_FILE")
  if (schedCacheFile !== undefined && schedCacheFile !== cacheFile) {
    fail(`scheduler CACHE_FILE ${schedCacheFile} != poller ${cacheFile}`)
  }

  // --- API key: from the Secret, as a mounted file (preferred) or a secretKeyRef; never a literal
  const secretName = m.secret.metadata?.name
  const secretKeys = new Set([...Object.keys(m.secret.stringData ?? {}), ...Object.keys(m.secret.data ?? {})])
  const keyEnv = poller.env?.find((e) => e.name === "ELECTRICITY_MAPS_API_KEY")
  const keyFile = envValue(poller, "ELECTRICITY_MAPS_API_KEY_FILE")
  if (keyEnv?.value !== undefined) fail(`${POLLER}: ELECTRICITY_MAPS_API_KEY must not be a literal value`)
  if (keyEnv !== undefined && keyFile !== undefined) fail(`${POLLER}: set only one of ELECTRICITY_MAPS_API_KEY(_FILE)`)
  if (keyEnv === undefined && keyFile === undefined) fail(`${POLLER}: no API key configured`)
  if (keyEnv !== undefined) {
    const ref = keyEnv.valueFrom?.secretKeyRef
    if (ref === undefined || ref.name !== secretName || !secretKeys.has(ref.key)) {
      fail(`${POLLER}: API key secretKeyRef does not point into Secret ${secretName}`)
    }
  }
  if (keyFile !== undefined) {
    const mount = poller.volumeMounts?.find((vm) => keyFile.startsWith(`${vm.mountPath.replace(/\/$/, "")}/`))
    const volume = pod.volumes?.find((v) => v.name === mount?.name)
    const secretVolume = volume?.secret
    if (mount === undefined || secretVolume === undefined) {
      fail(`${POLLER}: ELECTRICITY_MAPS_API_KEY_FILE ${keyFile} is not on a mounted secret volume`)
    } else {
      if (mount.readOnly !== true) fail(`${POLLER}: secret mount must be read-only`)
      if (secretVolume.secretName !== secretName) {
        fail(`secret volume uses ${secretVolume.secretName}, not Secret ${secretName}`)
      }
      const relative = keyFile.slice(mount.mountPath.replace(/\/$/, "").length + 1)
      const items = secretVolume.items
      const key = items === undefined ? relative : items.find((i) => i.path === relative)?.key
      if (key === undefined || !secretKeys.has(key)) fail(`${POLLER}: ${keyFile} is not a key of Secret ${secretName}`)
      const mode = secretVolume.defaultMode ?? 0o644
      const fsGroup = pod.securityContext?.fsGroup
      if ((mode & 0o004) === 0 && ((mode & 0o040) === 0 || fsGroup === undefined)) {
        fail(`secret volume mode ${mode.toString(8)} is not readable by the non-root user (needs group read + fsGroup)`)
      }
    }
  }

  // --- security: pod and every container
  const podSc = pod.securityContext
  if (podSc?.runAsNonRoot !== true) fail("pod securityContext.runAsNonRoot must be true")
  if (podSc?.runAsUser === undefined || podSc.runAsUser === 0) {
    fail("pod securityContext.runAsUser must be a non-zero uid")
  }
  if (podSc?.seccompProfile?.type !== "RuntimeDefault") fail("pod seccompProfile must be RuntimeDefault")
  for (const c of [poller, scheduler]) {
    const sc = c.securityContext
    const at = `${c.name} securityContext`
    if (sc === undefined) {
      fail(`${at} missing`)
      continue
    }
    if (sc.runAsNonRoot !== true) fail(`${at}.runAsNonRoot must be true`)
    if (sc.runAsUser === undefined || sc.runAsUser === 0) fail(`${at}.runAsUser must be a non-zero uid`)
    if (sc.readOnlyRootFilesystem !== true) fail(`${at}.readOnlyRootFilesystem must be true`)
    if (sc.allowPrivilegeEscalation !== false) fail(`${at}.allowPrivilegeEscalation must be false`)
    if (sc.privileged === true) fail(`${at}.privileged must not be true`)
    if (!(sc.capabilities?.drop ?? []).includes("ALL")) fail(`${at}.capabilities.drop must include ALL`)
    if ((sc.capabilities?.add ?? []).length > 0) fail(`${at}.capabilities.add must be empty`)
    if (sc.seccompProfile?.type !== "RuntimeDefault") fail(`${at}.seccompProfile must be RuntimeDefault`)
  }
  const imageUid = dockerfileUid(dockerfile)
  const pollerUid = poller.securityContext?.runAsUser ?? podSc?.runAsUser
  if (imageUid === undefined || pollerUid !== imageUid) {
    fail(`${POLLER}: runAsUser ${pollerUid} != Dockerfile USER ${imageUid}`)
  }

  // --- resources: requests and limits, requests <= limits, V8 heap below the memory limit
  const req = poller.resources?.requests ?? {}
  const lim = poller.resources?.limits ?? {}
  for (const r of ["cpu", "memory"] as const) {
    const rq = quantity(req[r])
    const lm = quantity(lim[r])
    if (rq === undefined) fail(`${POLLER}: resources.requests.${r} missing`)
    if (lm === undefined) fail(`${POLLER}: resources.limits.${r} missing`)
    if (rq !== undefined && lm !== undefined && rq > lm) fail(`${POLLER}: requests.${r} exceeds limits.${r}`)
  }
  const heap = /--max-old-space-size=(\d+)/.exec(envValue(poller, "NODE_OPTIONS") ?? "")?.[1]
  const memLimit = quantity(lim["memory"])
  if (heap !== undefined && memLimit !== undefined && Number(heap) * 2 ** 20 >= memLimit) {
    fail(`${POLLER}: --max-old-space-size=${heap} MiB is not below the memory limit`)
  }
  // It replaces the image's NODE_OPTIONS: without the flag, SIGUSR1 could open Node's inspector.
  if (!(envValue(poller, "NODE_OPTIONS") ?? "").split(/\s+/).includes("--disable-sigusr1")) {
    fail(`${POLLER}: NODE_OPTIONS must keep the image's --disable-sigusr1`)
  }

  // --- lifecycle
  const grace = pod.terminationGracePeriodSeconds
  if (grace === undefined || grace > 30) {
    fail(`terminationGracePeriodSeconds should be set and small (<= 30), got ${grace}`)
  }

  // --- labels
  const labelled: Array<readonly [string, Record<string, string> | undefined]> = [
    ["Deployment", m.deployment.metadata?.labels],
    ["pod template", m.deployment.spec?.template.metadata?.labels]
  ]
  for (const [what, labels] of labelled) {
    for (const l of STANDARD_LABELS) {
      if (labels?.[l] === undefined || labels[l] === "") fail(`${what}: label ${l} missing`)
    }
    const version = labels?.["app.kubernetes.io/version"]
    if (version !== undefined && version !== packageVersion) {
      fail(`${what}: version label ${version} != package.json ${packageVersion}`)
    }
  }
  const selector = m.deployment.spec?.selector.matchLabels ?? {}
  const templateLabels = m.deployment.spec?.template.metadata?.labels ?? {}
  if (Object.keys(selector).length === 0) fail("Deployment selector.matchLabels is empty")
  for (const [k, v] of Object.entries(selector)) {
    if (templateLabels[k] !== v) fail(`selector label ${k} not on the pod template`)
  }
  if ("app.kubernetes.io/version" in selector) {
    fail("selector must not contain the version label (selectors are immutable)")
  }

  return problems
}

// ---------------------------------------------------------------------------------------------
// Tests

describe("k8s.yaml", () => {
  it("parses as YAML 1.2 and reads the same under YAML 1.1 (kubectl)", () => {
    expect(parseDocuments(manifestText, "1.1")).toEqual(objects)
  })

  it("holds exactly one Deployment and nothing else: the Secret is created once, outside it", () => {
    expect(objects).toHaveLength(1)
    expect(manifest.deployment.kind).toBe("Deployment")
  })

  it("is what the README, docs/ and the file's own steps say: the Secret they create, the image they build", () => {
    expect(instructionProblems(manifest, objects, deployDocs)).toEqual([])
  })

  it("validates against the Kubernetes API schemas", () => {
    expect(() => new Secret(manifest.secret).validate()).not.toThrow()
    expect(() => new Deployment(manifest.deployment).validate()).not.toThrow()
  })

  it("uses no field the Kubernetes API does not know", () => {
    expect(unknownFieldProblems(manifest)).toEqual([])
  })

  it("is wired correctly", () => {
    expect(wiringProblems(manifest, dockerfileText)).toEqual([])
  })
})

// ---------------------------------------------------------------------------------------------
// Each check can fail: mutate a copy, expect the matching complaint.

type Mutation = (m: { secret: ISecret; deployment: IDeployment }) => void

const podOf = (d: IDeployment) => {
  const pod = d.spec?.template.spec
  if (pod === undefined) throw new Error("no pod spec")
  return pod
}
const pollerOf = (d: IDeployment): IContainer => {
  const c = podOf(d).initContainers?.find((x) => x.name === POLLER)
  if (c === undefined) throw new Error("no poller")
  return c
}
const schedulerOf = (d: IDeployment): IContainer => {
  const c = podOf(d).containers[0]
  if (c === undefined) throw new Error("no scheduler")
  return c
}
const setEnv = (c: IContainer, name: string, value: string): void => {
  const e = c.env?.find((x) => x.name === name)
  if (e === undefined) c.env = [...(c.env ?? []), { name, value }]
  else e.value = value
}
const cacheMountOf = (c: IContainer) => {
  const vm = c.volumeMounts?.find((x) => x.mountPath === "/cache")
  if (vm === undefined) throw new Error(`no /cache mount in ${c.name}`)
  return vm
}

const mutations: ReadonlyArray<readonly [string, Mutation, RegExp]> = [
  ["poller moved to containers", ({ deployment: d }) => {
    const pod = podOf(d)
    pod.containers.push(pollerOf(d))
    pod.initContainers = []
  }, /no init container/],
  ["restartPolicy removed", ({ deployment: d }) => {
    delete pollerOf(d).restartPolicy
  }, /restartPolicy must be Always/],
  ["startupProbe removed", ({ deployment: d }) => {
    delete pollerOf(d).startupProbe
  }, /startupProbe missing/],
  ["startupProbe on /healthz", ({ deployment: d }) => {
    const g = pollerOf(d).startupProbe?.httpGet
    if (g) g.path = "/healthz"
  }, /startupProbe path must be \/readyz/],
  ["startupProbe window too short", ({ deployment: d }) => {
    const p = pollerOf(d).startupProbe
    if (p) p.failureThreshold = 3
  }, /startupProbe allows only/],
  ["livenessProbe on /readyz", ({ deployment: d }) => {
    const g = pollerOf(d).livenessProbe?.httpGet
    if (g) g.path = "/readyz"
  }, /livenessProbe path must be \/healthz/],
  ["readinessProbe removed", ({ deployment: d }) => {
    delete pollerOf(d).readinessProbe
  }, /readinessProbe missing/],
  ["HTTP_PORT changed alone", ({ deployment: d }) => {
    setEnv(pollerOf(d), "HTTP_PORT", "8080")
  }, /no containerPort equal to HTTP_PORT 8080/],
  ["HTTP_PORT removed while port is not the default", ({ deployment: d }) => {
    const c = pollerOf(d)
    c.env = (c.env ?? []).filter((e) => e.name !== "HTTP_PORT")
    for (const p of c.ports ?? []) p.containerPort = 8080
  }, /HTTP_PORT 9477/],
  ["probe on a numeric wrong port", ({ deployment: d }) => {
    const g = pollerOf(d).livenessProbe?.httpGet
    if (g) g.port = 8080
  }, /livenessProbe port 8080/],
  ["probe on an unknown named port", ({ deployment: d }) => {
    const g = pollerOf(d).readinessProbe?.httpGet
    if (g) g.port = "metrics"
  }, /readinessProbe port metrics/],
  ["prometheus annotation on another port", ({ deployment: d }) => {
    const a = d.spec?.template.metadata?.annotations
    if (a) a["prometheus.io/port"] = "9090"
  }, /prometheus.io\/port/],
  ["scheduler cache mount writable", ({ deployment: d }) => {
    delete cacheMountOf(schedulerOf(d)).readOnly
  }, /read-only/],
  ["scheduler without the cache volume", ({ deployment: d }) => {
    const s = schedulerOf(d)
    s.volumeMounts = (s.volumeMounts ?? []).filter((vm) => vm.mountPath !== "/cache")
  }, /does not mount the cache volume/],
  ["poller cache mount read-only", ({ deployment: d }) => {
    cacheMountOf(pollerOf(d)).readOnly = true
  }, /cache mount must be writable/],
  ["poller cache not at /cache", ({ deployment: d }) => {
    cacheMountOf(pollerOf(d)).mountPath = "/data"
  }, /nothing mounted at \/cache/],
  ["cache volume without sizeLimit", ({ deployment: d }) => {
    const v = podOf(d).volumes?.find((x) => x.name === cacheMountOf(pollerOf(d)).name)
    if (v?.emptyDir) delete v.emptyDir.sizeLimit
  }, /sizeLimit/],
  ["cache volume not an emptyDir", ({ deployment: d }) => {
    const v = podOf(d).volumes?.find((x) => x.name === cacheMountOf(pollerOf(d)).name)
    if (v) {
      delete v.emptyDir
      v.hostPath = { path: "/var/cache" }
    }
  }, /must be an emptyDir/],
  ["literal API key in env", ({ deployment: d }) => {
    const c = pollerOf(d)
    c.env = (c.env ?? []).filter((e) => e.name !== "ELECTRICITY_MAPS_API_KEY_FILE")
    setEnv(c, "ELECTRICITY_MAPS_API_KEY", "sk-live")
  }, /must not be a literal/],
  ["no API key at all", ({ deployment: d }) => {
    const c = pollerOf(d)
    c.env = (c.env ?? []).filter((e) => !e.name.startsWith("ELECTRICITY_MAPS_API_KEY"))
  }, /no API key configured/],
  ["both key and key file", ({ deployment: d, secret }) => {
    const c = pollerOf(d)
    const name = secret.metadata?.name ?? ""
    c.env = [...(c.env ?? []), {
      name: "ELECTRICITY_MAPS_API_KEY",
      valueFrom: { secretKeyRef: { name, key: "api-key" } }
    }]
  }, /only one of/],
  ["secretKeyRef to another secret", ({ deployment: d }) => {
    const c = pollerOf(d)
    c.env = (c.env ?? []).filter((e) => e.name !== "ELECTRICITY_MAPS_API_KEY_FILE")
    c.env.push({ name: "ELECTRICITY_MAPS_API_KEY", valueFrom: { secretKeyRef: { name: "other", key: "api-key" } } })
  }, /secretKeyRef does not point/],
  ["key file outside the secret mount", ({ deployment: d }) => {
    setEnv(pollerOf(d), "ELECTRICITY_MAPS_API_KEY_FILE", "/etc/key")
  }, /not on a mounted secret volume/],
  ["secret volume of another Secret", ({ deployment: d }) => {
    for (const v of podOf(d).volumes ?? []) if (v.secret) v.secret.secretName = "other"
  }, /not Secret/],
  ["secret item renamed", ({ deployment: d }) => {
    for (const v of podOf(d).volumes ?? []) for (const i of v.secret?.items ?? []) i.key = "token"
  }, /is not a key of Secret/],
  ["secret mode unreadable for the user", ({ deployment: d }) => {
    for (const v of podOf(d).volumes ?? []) if (v.secret) v.secret.defaultMode = 0o400
  }, /not readable by the non-root user/],
  ["secret mount writable", ({ deployment: d }) => {
    for (const vm of pollerOf(d).volumeMounts ?? []) if (vm.mountPath.includes("secrets")) delete vm.readOnly
  }, /secret mount must be read-only/],
  ["pod runAsNonRoot removed", ({ deployment: d }) => {
    delete podOf(d).securityContext?.runAsNonRoot
  }, /pod securityContext.runAsNonRoot/],
  ["pod runAsUser 0", ({ deployment: d }) => {
    const sc = podOf(d).securityContext
    if (sc) sc.runAsUser = 0
  }, /pod securityContext.runAsUser/],
  ["pod seccomp removed", ({ deployment: d }) => {
    delete podOf(d).securityContext?.seccompProfile
  }, /pod seccompProfile/],
  ["poller securityContext removed", ({ deployment: d }) => {
    delete pollerOf(d).securityContext
  }, /carbon-poller securityContext missing/],
  ["poller runAsNonRoot removed", ({ deployment: d }) => {
    delete pollerOf(d).securityContext?.runAsNonRoot
  }, /carbon-poller securityContext.runAsNonRoot/],
  ["poller runAsUser removed", ({ deployment: d }) => {
    delete pollerOf(d).securityContext?.runAsUser
  }, /carbon-poller securityContext.runAsUser/],
  ["scheduler readOnlyRootFilesystem removed", ({ deployment: d }) => {
    delete schedulerOf(d).securityContext?.readOnlyRootFilesystem
  }, /scheduler securityContext.readOnlyRootFilesystem/],
  ["poller readOnlyRootFilesystem false", ({ deployment: d }) => {
    const sc = pollerOf(d).securityContext
    if (sc) sc.readOnlyRootFilesystem = false
  }, /carbon-poller securityContext.readOnlyRootFilesystem/],
  ["poller allowPrivilegeEscalation removed", ({ deployment: d }) => {
    delete pollerOf(d).securityContext?.allowPrivilegeEscalation
  }, /allowPrivilegeEscalation/],
  ["poller privileged", ({ deployment: d }) => {
    const sc = pollerOf(d).securityContext
    if (sc) sc.privileged = true
  }, /privileged must not be true/],
  ["capabilities not dropped", ({ deployment: d }) => {
    delete pollerOf(d).securityContext?.capabilities
  }, /capabilities.drop must include ALL/],
  ["capability added", ({ deployment: d }) => {
    const sc = schedulerOf(d).securityContext
    if (sc) sc.capabilities = { drop: ["ALL"], add: ["NET_ADMIN"] }
  }, /capabilities.add must be empty/],
  ["container seccomp removed", ({ deployment: d }) => {
    delete schedulerOf(d).securityContext?.seccompProfile
  }, /scheduler securityContext.seccompProfile/],
  ["runAsUser differs from the image user", ({ deployment: d }) => {
    const sc = pollerOf(d).securityContext
    if (sc) sc.runAsUser = 4242
  }, /!= Dockerfile USER/],
  ["memory limit removed", ({ deployment: d }) => {
    delete pollerOf(d).resources?.limits?.["memory"]
  }, /limits.memory missing/],
  ["cpu request removed", ({ deployment: d }) => {
    delete pollerOf(d).resources?.requests?.["cpu"]
  }, /requests.cpu missing/],
  ["request above limit", ({ deployment: d }) => {
    const r = pollerOf(d).resources?.requests
    if (r) r["memory"] = "1Gi"
  }, /requests.memory exceeds/],
  ["heap above the memory limit", ({ deployment: d }) => {
    setEnv(pollerOf(d), "NODE_OPTIONS", "--max-old-space-size=512")
  }, /max-old-space-size=512/],
  ["NODE_OPTIONS without --disable-sigusr1", ({ deployment: d }) => {
    setEnv(pollerOf(d), "NODE_OPTIONS", "--max-old-space-size=64 --max-semi-space-size=1")
  }, /--disable-sigusr1/],
  ["grace period removed", ({ deployment: d }) => {
    delete podOf(d).terminationGracePeriodSeconds
  }, /terminationGracePeriodSeconds/],
  ["grace period large", ({ deployment: d }) => {
    podOf(d).terminationGracePeriodSeconds = 300
  }, /terminationGracePeriodSeconds/],
  ["template label missing", ({ deployment: d }) => {
    delete d.spec?.template.metadata?.labels?.["app.kubernetes.io/component"]
  }, /pod template: label app.kubernetes.io\/component/],
  ["Deployment label missing", ({ deployment: d }) => {
    delete d.metadata?.labels?.["app.kubernetes.io/instance"]
  }, /Deployment: label app.kubernetes.io\/instance/],
  ["version label stale", ({ deployment: d }) => {
    const l = d.metadata?.labels
    if (l) l["app.kubernetes.io/version"] = "0.0.1"
  }, /!= package.json/],
  ["version in the selector", ({ deployment: d }) => {
    const s = d.spec?.selector.matchLabels
    if (s) s["app.kubernetes.io/version"] = packageVersion
  }, /selector must not contain the version/],
  ["selector not matching the template", ({ deployment: d }) => {
    const s = d.spec?.selector.matchLabels
    if (s) s["app.kubernetes.io/name"] = "other"
  }, /selector label app.kubernetes.io\/name not on the pod template/]
]

describe("k8s.yaml checks can fail", () => {
  it.each(mutations.map(([name, mutate, expected]) => ({ name, mutate, expected })))(
    "$name",
    ({ expected, mutate }) => {
      const copy = structuredClone({ secret: manifest.secret, deployment: manifest.deployment })
      mutate(copy)
      const problems = wiringProblems(copy, dockerfileText)
      expect(problems.some((p) => expected.test(p)), `problems: ${JSON.stringify(problems)}`).toBe(true)
    }
  )

  const instructionMutations: ReadonlyArray<
    readonly [string, (m: Manifest, all: Array<unknown>, docs: Array<readonly [string, string]>) => void, RegExp]
  > = [
    ["a Secret back in the file", (m, all) => void all.push(m.secret), /holds a Secret/],
    ["the README creates another Secret", (_m, _all, docs) => {
      docs.push(["README.md", "kubectl create secret generic other-name --from-literal=api-key=\"$KEY\""])
    }, /creates Secret other-name/],
    ["the README creates another key", (_m, _all, docs) => {
      docs.push(["README.md", "kubectl create secret generic carbon-poller-api-key --from-literal=token=\"$KEY\""])
    }, /key token/],
    ["the image back to carbon-api:latest", ({ deployment }) => {
      pollerOf(deployment).image = "carbon-api:latest"
    }, /builds local\/carbon-poller.*the pod runs carbon-api:latest/],
    ["a stale tag", ({ deployment }) => {
      pollerOf(deployment).image = "local/carbon-poller:0.0.1"
    }, /tag is not package.json/],
    ["an unloaded image pulled if not present", ({ deployment }) => {
      pollerOf(deployment).imagePullPolicy = "IfNotPresent"
    }, /imagePullPolicy must be Never/],
    ["a document building another tag", (_m, _all, docs) => {
      docs.push(["docs/operations.md", "docker build -t carbon-api:latest ."])
    }, /docs\/operations.md: builds carbon-api:latest/]
  ]

  it.each(instructionMutations.map(([name, mutate, expected]) => ({ name, mutate, expected })))(
    "instructions: $name",
    ({ expected, mutate }) => {
      const copy = structuredClone({ secret: manifest.secret, deployment: manifest.deployment })
      const all = structuredClone(objects)
      const docs = [...deployDocs]
      mutate(copy, all, docs)
      const problems = instructionProblems(copy, all, docs)
      expect(problems.some((p) => expected.test(p)), `problems: ${JSON.stringify(problems)}`).toBe(true)
    }
  )

  it("schema validation rejects a wrongly typed field", () => {
    const copy = structuredClone(manifest.deployment)
    const port = pollerOf(copy).ports?.[0]
    if (port === undefined) throw new Error("no port")
    Object.assign(port, { containerPort: "9477" })
    expect(() => new Deployment(copy).validate()).toThrow(/containerPort/)
    const secret = structuredClone(manifest.secret)
    Object.assign(secret, { stringData: { "api-key": 42 } })
    expect(() => new Secret(secret).validate()).toThrow(/stringData/)
  })

  it("the unknown-field check catches a misspelt field", () => {
    const copy = structuredClone(manifest.deployment)
    Object.assign(pollerOf(copy).securityContext ?? {}, { readOnlyRootFileSystem: true })
    Object.assign(pollerOf(copy).startupProbe ?? {}, { timeoutSecond: 2 })
    const problems = unknownFieldProblems({ secret: manifest.secret, deployment: copy })
    expect(problems).toEqual([
      expect.stringMatching(/readOnlyRootFileSystem/),
      expect.stringMatching(/timeoutSecond/)
    ])
  })

  it("the YAML 1.1/1.2 comparison catches an octal-looking number", () => {
    const octal = manifestText.replace("defaultMode: 288", "defaultMode: 0440")
    expect(octal).not.toBe(manifestText)
    expect(parseDocuments(octal, "1.1")).not.toEqual(parseDocuments(octal, "1.2"))
  })

  it("the Dockerfile uid parser needs a numeric USER", () => {
    expect(dockerfileUid("FROM x\nUSER node\n")).toBeUndefined()
    expect(dockerfileUid("FROM x\nUSER 0\nUSER 10001:10001\n")).toBe(10001)
  })
})
