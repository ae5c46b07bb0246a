// The yardstick for the read API: a plain node:http server answering every GET with the same bytes
// and headers the service sent for one read-API request (fetched once at start), so the two are
// measured on identical answers and the ratio is what the service's routing, checks and Effect
// pipeline cost per request.
//
//   node bench/plainserver.mjs --from http://127.0.0.1:PORT/v4/carbon-intensity/latest?zone=BZ-001
//
// Prints one line, `listening on http://127.0.0.1:PORT`, once it accepts connections.
import { createServer } from "node:http"
import { parseArgs } from "node:util"

const { values } = parseArgs({ options: { from: { type: "string" } } })
if (values.from === undefined) throw new Error("--from is required")
const answer = await fetch(values.from)
if (answer.status !== 200) throw new Error(`${values.from} answered ${answer.status}`)
const body = Buffer.from(await answer.arrayBuffer())
const headers = {
  "content-type": answer.headers.get("content-type") ?? "application/json",
  "content-length": String(body.length),
  ...(answer.headers.get("etag") !== null ? { etag: answer.headers.get("etag") } : {}),
  ...(answer.headers.get("cache-control") !== null ? { "cache-control": answer.headers.get("cache-control") } : {})
}

const server = createServer((_req, res) => {
  res.writeHead(200, headers)
  res.end(body)
})
server.keepAliveTimeout = 60_000
server.listen(0, "127.0.0.1", () => {
  const address = server.address()
  process.stdout.write(`listening on http://127.0.0.1:${address.port}\n`)
})
process.on("SIGTERM", () => server.close(() => process.exit(0)))
