/**
 * Room for the kubelet's probes however many connections others hold, without letting a flood of
 * connections take the event loop from the poll.
 *
 * Open connections are bounded. At the bound, a newcomer is admitted at the expense of the client
 * holding the most connections (counted by source address): the kubelet probes from the node with
 * one connection at a time, so a flood from elsewhere, however large, is what makes room for it.
 * From that heaviest client goes its oldest connection that is not in the middle of a request
 * (idle keep-alive, or silent since it connected), else its oldest serving anything but `/healthz`
 * or `/readyz`; a probe in flight is never closed.
 *
 * A newcomer from the heaviest client itself only replaces one of that client's connections that
 * has sat idle for `idleEvictableAfterMillis`: connections held open and silent make room, while a
 * flood of fresh requests is refused at once, before any work is spent reading it (that is what
 * keeps the poll on time under a flood).
 *
 * Each client's connections sit in insertion-ordered collections, so its oldest is found in O(1);
 * finding the heaviest client walks the clients, at most one per open connection, and only at the
 * bound.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http"
import type { Socket } from "node:net"

export const PROBE_PATHS: ReadonlySet<string> = new Set(["/healthz", "/readyz"])

const pathOf = (url: string | undefined): string => (url ?? "/").split("?")[0] ?? "/"

export interface GuardOptions {
  readonly maxConnections: number
  /** How long a client's idle connection must have been idle before that client's newcomer may replace it. */
  readonly idleEvictableAfterMillis: number
  /** Monotonic milliseconds. */
  readonly now?: () => number
}

export interface GuardCounts {
  /** Connections closed to make room for a newcomer. */
  readonly evicted: number
  /** Newcomers closed at once: their own client held the most connections and none had idled long enough. */
  readonly refused: number
}

/** One client's connections, each set in the order the connections entered it. */
interface Client {
  readonly idle: Map<Socket, number>
  readonly busy: Set<Socket>
  readonly probing: Set<Socket>
}

const sizeOf = (client: Client) => client.idle.size + client.busy.size + client.probing.size

const first = <A>(items: Iterable<A>): A | undefined => {
  for (const item of items) return item
  return undefined
}

/** Attaches the guard to `server`; returns its counts so far. */
export const guardConnections = (server: Server, options: GuardOptions): () => GuardCounts => {
  const now = options.now ?? (() => performance.now())
  const clients = new Map<string, Client>()
  const clientOf = new Map<Socket, { readonly address: string; readonly client: Client }>()
  let open = 0
  let evicted = 0
  let refused = 0

  const heaviest = (): Client | undefined => {
    let found: Client | undefined
    for (const client of clients.values()) if (found === undefined || sizeOf(client) > sizeOf(found)) found = client
    return found
  }

  const forget = (socket: Socket) => {
    const owner = clientOf.get(socket)
    if (owner === undefined) return
    clientOf.delete(socket)
    open--
    owner.client.idle.delete(socket)
    owner.client.busy.delete(socket)
    owner.client.probing.delete(socket)
    if (sizeOf(owner.client) === 0) clients.delete(owner.address)
  }

  const close = (socket: Socket) => {
    forget(socket)
    socket.destroy()
    evicted++
  }

  /** Makes room for a newcomer from `source`; false when the newcomer itself is to be refused. */
  const makeRoom = (source: Client | undefined): boolean => {
    const heavy = heaviest()
    if (heavy === undefined) return true
    if (source !== undefined && sizeOf(source) >= sizeOf(heavy)) {
      const [oldestIdle, idleSince] = first(source.idle) ?? []
      if (oldestIdle === undefined || idleSince === undefined || now() - idleSince < options.idleEvictableAfterMillis) {
        return false
      }
      close(oldestIdle)
      return true
    }
    const victim = first(heavy.idle.keys()) ?? first(heavy.busy)
    if (victim === undefined) return false
    close(victim)
    return true
  }

  server.on("connection", (socket: Socket) => {
    const address = socket.remoteAddress ?? "unknown"
    if (open >= options.maxConnections && !makeRoom(clients.get(address))) {
      refused++
      socket.destroy()
      return
    }
    const client = clients.get(address) ?? { idle: new Map(), busy: new Set(), probing: new Set() }
    clients.set(address, client)
    clientOf.set(socket, { address, client })
    client.idle.set(socket, now())
    open++
    socket.once("close", () => forget(socket))
  })

  server.on("request", (request: IncomingMessage, response: ServerResponse) => {
    const socket = request.socket
    const client = clientOf.get(socket)?.client
    if (client === undefined || !client.idle.delete(socket)) return
    const set = PROBE_PATHS.has(pathOf(request.url)) ? client.probing : client.busy
    set.add(socket)
    response.once("close", () => {
      if (set.delete(socket) && clientOf.has(socket) && !socket.destroyed) client.idle.set(socket, now())
    })
  })

  return () => ({ evicted, refused })
}
