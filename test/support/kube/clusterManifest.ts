/**
 * k8s-cluster.yaml, parsed: the stand-in API server takes its default Role from here and the tests
 * take the Lease and ConfigMap names from the Deployment's env, so tests and manifest cannot drift.
 */
import { readFileSync } from "node:fs"
import path from "node:path"
import { fileURLToPath } from "node:url"
import { parseAllDocuments } from "yaml"
import type { RoleRule } from "./FakeKubeApiServer.js"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..")
export const clusterManifestPath = path.join(root, "k8s-cluster.yaml")

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)
const isStringArray = (u: unknown): u is Array<string> => Array.isArray(u) && u.every((x) => typeof x === "string")

/** Every document of k8s-cluster.yaml as plain data (YAML 1.2); parse errors throw. */
export const clusterManifestObjects = (
  text: string = readFileSync(clusterManifestPath, "utf8")
): Array<Record<string, unknown>> =>
  parseAllDocuments(text).flatMap((doc) => {
    if (doc.errors.length > 0 || doc.warnings.length > 0) {
      throw new Error([...doc.errors, ...doc.warnings].map((e) => e.message).join("\n"))
    }
    const value: unknown = doc.toJS()
    return isRecord(value) ? [value] : []
  })

const toRule = (u: unknown): RoleRule => {
  if (!isRecord(u)) throw new Error("a Role rule is not an object")
  const { apiGroups, resourceNames, resources, verbs } = u
  if (!isStringArray(apiGroups) || !isStringArray(resources) || !isStringArray(verbs)) {
    throw new Error("a Role rule lacks apiGroups/resources/verbs")
  }
  if (resourceNames !== undefined && !isStringArray(resourceNames)) {
    throw new Error("a Role rule's resourceNames is not a list of names")
  }
  return { apiGroups, resources, verbs, resourceNames }
}

/** The one Role of the manifest: its name, namespace and rules. */
export const manifestRole = (
  objects = clusterManifestObjects()
): { readonly name: string; readonly namespace: string; readonly rules: Array<RoleRule> } => {
  const roles = objects.filter((o) => o["kind"] === "Role")
  const [role] = roles
  if (roles.length !== 1 || role === undefined) throw new Error("k8s-cluster.yaml must hold exactly one Role")
  const metadata = isRecord(role["metadata"]) ? role["metadata"] : {}
  const rules = Array.isArray(role["rules"]) ? role["rules"].map(toRule) : []
  return { name: String(metadata["name"]), namespace: String(metadata["namespace"]), rules }
}

/** An env value of the Deployment's poller container, e.g. LEADER_ELECTION_LEASE. */
export const manifestEnv = (name: string, objects = clusterManifestObjects()): string => {
  const deployment = objects.find((o) => o["kind"] === "Deployment")
  const spec = isRecord(deployment?.["spec"]) ? deployment["spec"] : {}
  const template = isRecord(spec["template"]) ? spec["template"] : {}
  const pod = isRecord(template["spec"]) ? template["spec"] : {}
  const containers = Array.isArray(pod["containers"]) ? pod["containers"] : []
  for (const c of containers) {
    const env = isRecord(c) && Array.isArray(c["env"]) ? c["env"] : []
    for (const e of env) if (isRecord(e) && e["name"] === name && typeof e["value"] === "string") return e["value"]
  }
  throw new Error(`k8s-cluster.yaml sets no ${name}`)
}
