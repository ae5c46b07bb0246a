/**
 * Command-line arguments, parsed with Node's built-in `util.parseArgs`: four commands and a few
 * flags do not justify a CLI framework's start-up cost in a sidecar.
 */
import { parseArgs } from "node:util"

export type Command =
  | { readonly _tag: "Run"; readonly once: boolean }
  | { readonly _tag: "Zones"; readonly search: string | undefined }
  | { readonly _tag: "Plan" }
  | { readonly _tag: "Help" }
  | { readonly _tag: "UsageError"; readonly message: string }

export const USAGE = `usage: carbon-poller [--once]        poll every POLL_INTERVAL_MINUTES (or once, then exit)
       carbon-poller zones [WORD]      list every provider's zone keys and names, optionally filtered by WORD
                                       (no key needed; with a key, ✓ marks the zones your plan covers)
       carbon-poller plan              the calls ZONES and the intervals will make, per provider per hour and
                                       per 30 days (nothing is asked; a budget it exceeds exits 2)
       carbon-poller --help

Try it without a key or network: npm run demo (the service against its built-in simulator).
Configuration comes from environment variables (docs/configuration.md); the API defaults to
https://api.electricitymaps.com/v4.
Exit codes: 0 ok or stopped by a signal (SIGTERM, SIGINT, SIGHUP, SIGQUIT); 1 --once wrote no cache, or
zones found nothing or could not reach the API; 2 invalid configuration (a zone of another basis and a
plan above its call budget included) or usage; 3 no configured zone
exists; 4 HTTP_PORT cannot be bound; 5 --once stopped by a signal before it finished.`

export const parseCommand = (argv: ReadonlyArray<string>): Command => {
  try {
    const { positionals, values } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: { once: { type: "boolean", default: false }, help: { type: "boolean", short: "h", default: false } }
    })
    if (values.help) return { _tag: "Help" }
    const [command, ...rest] = positionals
    if (command === undefined) return { _tag: "Run", once: values.once }
    if (command === "plan") {
      return rest.length === 0 ? { _tag: "Plan" } : { _tag: "UsageError", message: "plan takes no argument" }
    }
    if (command === "zones") return { _tag: "Zones", search: rest.length > 0 ? rest.join(" ") : undefined }
    return { _tag: "UsageError", message: `unknown command ${JSON.stringify(command)}` }
  } catch (error) {
    return { _tag: "UsageError", message: error instanceof Error ? error.message : String(error) }
  }
}
