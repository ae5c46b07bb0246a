/**
 * Room for the kubelet's probes however many connections others hold. At the bound, a new
 * connection is never refused (a refused probe is a failed probe, and enough of them restart the
 * pod); an older one is closed instead: the oldest that is not in the middle of a request (idle
 * keep-alive, or silent since it connected), else the oldest serving anything but `/healthz` or
 * `/readyz`. A probe sends its request as soon as it connects, so it is the newest idle connection
 * for the moment it takes to arrive, and then one that is never chosen.
 *
 * Three insertion-ordered sets, so choosing is O(1) however large the flood.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http"
import type { Socket } from "node:net"

export const PROBE_PATHS: ReadonlySet<string> = new Set(["/healthz", "/readyz"])

const pathOf = (url: string | undefined): string => (url ?? "/").split("?")[0] ?? "/"

/** Attaches the guard to `server`; returns how many connections it has closed so far. */
export const guardConnections = (server: Server, maxConnections: number): () => number => {
  const idle = new Set<Socket>()
  const busy = new Set<Socket>()
  const probing = new Set<Socket>()
  let evicted = 0

  const oldest = (set: Set<Socket>): Socket | undefined => set.values().next().value
  const forget = (socket: Socket) => {
    idle.delete(socket)
    busy.delete(socket)
    probing.delete(socket)
  }

  server.on("connection", (socket: Socket) => {
    if (idle.size + busy.size + probing.size >= maxConnections) {
      const victim = oldest(idle) ?? oldest(busy)
      if (victim !== undefined) {
        forget(victim)
        victim.destroy()
        evicted++
      }
    }
    idle.add(socket)
    socket.once("close", () => forget(socket))
  })

  server.on("request", (request: IncomingMessage, response: ServerResponse) => {
    const socket = request.socket
    if (!idle.delete(socket)) return
    const set = PROBE_PATHS.has(pathOf(request.url)) ? probing : busy
    set.add(socket)
    response.once("close", () => {
      if (set.delete(socket) && !socket.destroyed) idle.add(socket)
    })
  })

  return () => evicted
}
