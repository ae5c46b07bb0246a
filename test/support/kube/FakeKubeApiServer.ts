/**
 * A stand-in for the Kubernetes API server: a real HTTP server on 127.0.0.1 that serves exactly
 * what cluster mode calls - get, create and update (PUT) of namespaced Leases and ConfigMaps - the
 * way the real one answers: a `metadata.resourceVersion` on every object, 409 `Status` on a stale
 * resourceVersion or an existing name, 404 `Status` for a missing object, 403 for what the
 * configured Role does not allow, 400 for a Lease time without microseconds, 422 for a ConfigMap
 * above 1 MiB. The service reaches it only through `@kubernetes/client-node` and a kubeconfig file.
 *
 * Test controls: stop (unreachable: refused connections), hang (connections accepted, never
 * answered), resume; read and seed objects; counters of writes and rejected writes.
 */
import { Effect, type Scope } from "effect"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import http from "node:http"
import type { AddressInfo, Socket } from "node:net"
import os from "node:os"
import path from "node:path"
import { stringify } from "yaml"
import { manifestRole } from "./clusterManifest.js"

export interface RoleRule {
  readonly apiGroups: ReadonlyArray<string>
  readonly resources: ReadonlyArray<string>
  readonly verbs: ReadonlyArray<string>
  readonly resourceNames?: ReadonlyArray<string> | undefined
}

export type Resource = "leases" | "configmaps"

export interface StoredObject {
  readonly metadata:
    & { readonly name: string; readonly namespace: string; readonly resourceVersion: string }
    & Record<string, unknown>
  readonly [key: string]: unknown
}

interface Route {
  readonly resource: Resource
  readonly group: string
  readonly namespace: string
  readonly name: string | undefined
}

const KIND_OF: Record<Resource, string> = { leases: "Lease", configmaps: "ConfigMap" }
const MICRO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/
const CONFIGMAP_LIMIT = 1024 * 1024

const isAddressInfo = (a: string | AddressInfo | null): a is AddressInfo => a !== null && typeof a !== "string"

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const parseRoute = (pathname: string): Route | undefined => {
  const lease = /^\/apis\/coordination\.k8s\.io\/v1\/namespaces\/([^/]+)\/leases(?:\/([^/]+))?$/.exec(pathname)
  if (lease?.[1] !== undefined) {
    return { resource: "leases", group: "coordination.k8s.io", namespace: lease[1], name: lease[2] }
  }
  const cm = /^\/api\/v1\/namespaces\/([^/]+)\/configmaps(?:\/([^/]+))?$/.exec(pathname)
  if (cm?.[1] !== undefined) return { resource: "configmaps", group: "", namespace: cm[1], name: cm[2] }
  return undefined
}

const verbOf = (method: string, named: boolean): string | undefined => {
  switch (method) {
    case "GET":
      return named ? "get" : "list"
    case "POST":
      return named ? undefined : "create"
    case "PUT":
      return named ? "update" : undefined
    case "PATCH":
      return named ? "patch" : undefined
    case "DELETE":
      return named ? "delete" : "deletecollection"
    default:
      return undefined
  }
}

/** RBAC's rule: group, resource and verb must match; resourceNames, when given, need a name. */
export const allows = (
  rules: ReadonlyArray<RoleRule>,
  verb: string,
  group: string,
  resource: string,
  name: string | undefined
): boolean =>
  rules.some((rule) => {
    const has = (list: ReadonlyArray<string>, value: string) => list.includes(value) || list.includes("*")
    if (!has(rule.apiGroups, group) || !has(rule.resources, resource) || !has(rule.verbs, verb)) return false
    if (rule.resourceNames === undefined || rule.resourceNames.length === 0) return true
    return name !== undefined && rule.resourceNames.includes(name)
  })

interface Reply {
  readonly status: number
  readonly body: unknown
}

const status = (code: number, reason: string, message: string, details: Record<string, unknown> = {}): Reply => ({
  status: code,
  body: { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, details, code }
})

export interface FakeKubeApiServerOptions {
  /** The Role the caller is bound to; default: the Role in k8s-cluster.yaml. */
  readonly rules?: ReadonlyArray<RoleRule>
}

export class FakeKubeApiServer {
  private readonly objects = new Map<string, StoredObject>()
  private readonly sockets = new Set<Socket>()
  private readonly held: Array<http.ServerResponse> = []
  private lastVersion = 1000
  private hanging = false
  private rules: ReadonlyArray<RoleRule>
  /** Successful creates and updates. */
  writes = 0
  /** Writes refused (409, 403, 400, 422, 404). */
  rejectedWrites = 0
  /** Updates that carried no resourceVersion (the API server would apply them unconditionally). */
  unconditionalWrites = 0
  readonly log: Array<{ readonly method: string; readonly path: string; readonly status: number }> = []

  private constructor(
    private readonly server: http.Server,
    readonly port: number,
    rules: ReadonlyArray<RoleRule>
  ) {
    this.rules = rules
  }

  static async start(options: FakeKubeApiServerOptions = {}): Promise<FakeKubeApiServer> {
    const server = http.createServer()
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    const address = server.address()
    if (!isAddressInfo(address)) throw new Error("the stand-in did not bind a TCP port")
    const port = address.port
    const fake = new FakeKubeApiServer(server, port, options.rules ?? manifestRole().rules)
    server.on("connection", (socket) => {
      fake.sockets.add(socket)
      socket.on("close", () => fake.sockets.delete(socket))
    })
    server.on("request", (req, res) => fake.handle(req, res))
    return fake
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`
  }

  setRules(rules: ReadonlyArray<RoleRule>): void {
    this.rules = rules
  }

  /** Refuses connections from now on (and drops open ones), as an API server that went away. */
  async stop(): Promise<void> {
    this.releaseHeld()
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve())
      for (const socket of this.sockets) socket.destroy()
    })
  }

  /** Accepts connections again on the same port, and answers them. */
  async resume(): Promise<void> {
    this.hanging = false
    this.releaseHeld()
    if (this.server.listening) return
    await new Promise<void>((resolve) => this.server.listen(this.port, "127.0.0.1", resolve))
  }

  /** Accepts requests but never answers them until `resume` or `stop`. */
  hang(): void {
    this.hanging = true
  }

  async close(): Promise<void> {
    if (this.server.listening) await this.stop()
  }

  getObject(resource: Resource, namespace: string, name: string): StoredObject | undefined {
    const stored = this.objects.get(key(resource, namespace, name))
    return stored === undefined ? undefined : structuredClone(stored)
  }

  /** Stores an object as another writer would (a new resourceVersion); returns what was stored. */
  putObject(resource: Resource, namespace: string, name: string, object: Record<string, unknown>): StoredObject {
    const metadata = isRecord(object["metadata"]) ? object["metadata"] : {}
    const stored: StoredObject = {
      apiVersion: resource === "leases" ? "coordination.k8s.io/v1" : "v1",
      kind: KIND_OF[resource],
      ...object,
      metadata: { ...metadata, name, namespace, resourceVersion: this.nextVersion() }
    }
    this.objects.set(key(resource, namespace, name), stored)
    return structuredClone(stored)
  }

  deleteObject(resource: Resource, namespace: string, name: string): void {
    this.objects.delete(key(resource, namespace, name))
  }

  private nextVersion(): string {
    this.lastVersion += 1
    return String(this.lastVersion)
  }

  private releaseHeld(): void {
    for (const res of this.held.splice(0)) res.destroy()
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Array<Buffer> = []
    req.on("data", (chunk: Buffer) => chunks.push(chunk))
    req.on("end", () => {
      if (this.hanging) {
        this.held.push(res)
        return
      }
      const method = req.method ?? "GET"
      const pathname = new URL(req.url ?? "/", this.url).pathname
      const reply = this.answer(method, pathname, Buffer.concat(chunks).toString("utf8"))
      const isWrite = method !== "GET"
      if (isWrite && reply.status >= 400) this.rejectedWrites += 1
      if (isWrite && reply.status < 300) this.writes += 1
      this.log.push({ method, path: pathname, status: reply.status })
      res.writeHead(reply.status, { "content-type": "application/json" })
      res.end(JSON.stringify(reply.body))
    })
  }

  private answer(method: string, pathname: string, text: string): Reply {
    const route = parseRoute(pathname)
    if (route === undefined) return status(404, "NotFound", "the server could not find the requested resource")
    const verb = verbOf(method, route.name !== undefined)
    if (verb === undefined) {
      return status(405, "MethodNotAllowed", `the server does not allow this method on the requested resource`)
    }
    const qualified = route.group === "" ? route.resource : `${route.resource}.${route.group}`
    if (!allows(this.rules, verb, route.group, route.resource, route.name)) {
      const named = route.name === undefined ? "" : ` "${route.name}"`
      return status(
        403,
        "Forbidden",
        `${qualified}${named} is forbidden: User "system:serviceaccount:${route.namespace}:carbon-poller" cannot ${verb} resource "${route.resource}" in API group "${route.group}" in the namespace "${route.namespace}"`,
        { name: route.name ?? "", group: route.group, kind: route.resource }
      )
    }
    if (verb === "get" && route.name !== undefined) return this.get(route, route.name, qualified)
    const body: unknown = text === "" ? undefined : JSON.parse(text)
    if (!isRecord(body)) return status(400, "BadRequest", "the request body is not a JSON object")
    if (verb === "create") return this.create(route, body, qualified)
    if (verb === "update" && route.name !== undefined) return this.update(route, route.name, body, qualified)
    return status(405, "MethodNotAllowed", `${verb} is not served by this stand-in`)
  }

  private get(route: Route, name: string, qualified: string): Reply {
    const stored = this.objects.get(key(route.resource, route.namespace, name))
    if (stored === undefined) return notFound(qualified, name, route)
    return { status: 200, body: stored }
  }

  private create(route: Route, body: Record<string, unknown>, qualified: string): Reply {
    const metadata = isRecord(body["metadata"]) ? body["metadata"] : {}
    const name = metadata["name"]
    if (typeof name !== "string" || name === "") {
      return status(422, "Invalid", `${KIND_OF[route.resource]} is invalid: metadata.name: Required value`)
    }
    const invalid = this.validate(route.resource, body, name)
    if (invalid !== undefined) return invalid
    if (this.objects.has(key(route.resource, route.namespace, name))) {
      return status(409, "AlreadyExists", `${qualified} "${name}" already exists`, {
        name,
        group: route.group,
        kind: route.resource
      })
    }
    const stored = this.store(route, name, body, {
      uid: `uid-${name}-${this.lastVersion}`,
      creationTimestamp: "2026-01-01T00:00:00Z"
    })
    return { status: 201, body: stored }
  }

  private update(route: Route, name: string, body: Record<string, unknown>, qualified: string): Reply {
    const metadata = isRecord(body["metadata"]) ? body["metadata"] : {}
    if (metadata["name"] !== name) {
      return status(
        400,
        "BadRequest",
        `the name of the object (${String(metadata["name"])}) does not match the name on the URL (${name})`
      )
    }
    const invalid = this.validate(route.resource, body, name)
    if (invalid !== undefined) return invalid
    const current = this.objects.get(key(route.resource, route.namespace, name))
    if (current === undefined) return notFound(qualified, name, route)
    const version = metadata["resourceVersion"]
    if (version === undefined || version === "") this.unconditionalWrites += 1
    else if (version !== current.metadata.resourceVersion) {
      return status(
        409,
        "Conflict",
        `Operation cannot be fulfilled on ${qualified} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        { name, group: route.group, kind: route.resource }
      )
    }
    const keep = { uid: current.metadata["uid"], creationTimestamp: current.metadata["creationTimestamp"] }
    return { status: 200, body: this.store(route, name, body, keep) }
  }

  private store(
    route: Route,
    name: string,
    body: Record<string, unknown>,
    extra: Record<string, unknown>
  ): StoredObject {
    const metadata = isRecord(body["metadata"]) ? body["metadata"] : {}
    const stored: StoredObject = {
      ...body,
      apiVersion: route.resource === "leases" ? "coordination.k8s.io/v1" : "v1",
      kind: KIND_OF[route.resource],
      metadata: { ...metadata, ...extra, name, namespace: route.namespace, resourceVersion: this.nextVersion() }
    }
    this.objects.set(key(route.resource, route.namespace, name), stored)
    return stored
  }

  private validate(resource: Resource, body: Record<string, unknown>, name: string): Reply | undefined {
    if (resource === "leases") {
      const spec = isRecord(body["spec"]) ? body["spec"] : {}
      for (const field of ["acquireTime", "renewTime"]) {
        const value = spec[field]
        if (value !== undefined && (typeof value !== "string" || !MICRO_TIME.test(value))) {
          return status(
            400,
            "BadRequest",
            `Lease in version "v1" cannot be handled as a Lease: parsing time ${
              JSON.stringify(value)
            } as "2006-01-02T15:04:05.000000Z07:00": cannot parse`
          )
        }
      }
      const duration = spec["leaseDurationSeconds"]
      if (duration !== undefined && !Number.isInteger(duration)) {
        return status(
          400,
          "BadRequest",
          `Lease in version "v1" cannot be handled as a Lease: spec.leaseDurationSeconds: not an int32`
        )
      }
      return undefined
    }
    const data = isRecord(body["data"]) ? body["data"] : {}
    const size = Object.entries(data).reduce(
      (sum, [k, v]) => sum + Buffer.byteLength(k) + Buffer.byteLength(String(v)),
      0
    )
    if (size > CONFIGMAP_LIMIT) {
      return status(
        422,
        "Invalid",
        `ConfigMap "${name}" is invalid: []: Too long: must have at most ${CONFIGMAP_LIMIT} bytes`
      )
    }
    return undefined
  }
}

/** Microsecond RFC 3339, the wire form of a Kubernetes MicroTime, for seeding Leases. */
export const microTime = (epochMillis: number): string => new Date(epochMillis).toISOString().replace(/Z$/, "000Z")

const key = (resource: Resource, namespace: string, name: string): string => `${resource}/${namespace}/${name}`

const notFound = (qualified: string, name: string, route: Route): Reply =>
  status(404, "NotFound", `${qualified} "${name}" not found`, { name, group: route.group, kind: route.resource })

/** The stand-in for the length of a scope. */
export const fakeKubeApiServer = (
  options: FakeKubeApiServerOptions = {}
): Effect.Effect<FakeKubeApiServer, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(() => FakeKubeApiServer.start(options)),
    (fake) => Effect.promise(() => fake.close())
  )

/**
 * A kubeconfig file pointing at `server` over plain HTTP (the client refuses http:// unless told
 * `insecure-skip-tls-verify`), in a temporary directory removed with the scope. Returns its path.
 */
export const kubeconfigFile = (server: string, namespace = "default"): Effect.Effect<string, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const dir = await mkdtemp(path.join(os.tmpdir(), "kubeconfig-"))
      const file = path.join(dir, "config")
      const config = {
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "stand-in", cluster: { server, "insecure-skip-tls-verify": true } }],
        users: [{ name: "poller", user: { token: "stand-in-token" } }],
        contexts: [{ name: "stand-in", context: { cluster: "stand-in", user: "poller", namespace } }],
        "current-context": "stand-in"
      }
      await writeFile(file, stringify(config), { mode: 0o600 })
      return file
    }),
    (file) => Effect.promise(() => rm(path.dirname(file), { recursive: true, force: true }))
  )
