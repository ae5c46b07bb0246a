/**
 * The first thing the service's process loads, before any dependency: listeners for the signals
 * whose default would end the process or, for SIGUSR1, open Node's inspector (code execution for
 * anything that can reach 127.0.0.1:9229). A listener is what keeps Node from starting the
 * inspector, so it must be in place while the rest of the program is still loading; this module
 * therefore imports nothing. Signals that arrive before the program listens are kept (the last 16)
 * and handed over when it does (src/platform/NodeProcess.ts).
 *
 * Signals the kernel sends for a fault in the process itself (SIGSEGV, SIGBUS, SIGFPE, SIGILL,
 * SIGABRT, SIGTRAP, SIGSYS) keep their default: returning from them would run the faulting code
 * again. SIGPROF is left to profilers; SIGPIPE Node already ignores (a write then fails with EPIPE).
 */
export const IGNORED_SIGNALS = [
  "SIGUSR1",
  "SIGUSR2",
  "SIGALRM",
  "SIGVTALRM",
  "SIGIO",
  "SIGPWR",
  "SIGSTKFLT",
  "SIGXCPU",
  "SIGXFSZ"
] as const

const MAX_KEPT = 16
const kept: Array<string> = []
let listener: ((signal: string) => void) | undefined

const received = (signal: string) => {
  if (listener !== undefined) return listener(signal)
  kept.push(signal)
  if (kept.length > MAX_KEPT) kept.shift()
}

for (const signal of IGNORED_SIGNALS) process.on(signal, received)

/** Hands every ignored signal to `deliver`: those kept so far at once, later ones as they arrive. */
export const onIgnoredSignal = (deliver: (signal: string) => void): void => {
  listener = deliver
  for (const signal of kept.splice(0)) deliver(signal)
}
