/**
 * The part of GJSON (github.com/tidwall/gjson, which KEDA's metrics-api scaler uses for
 * `valueLocation`) that a path to a zone's value needs: keys separated by `.`, where `\` makes the
 * next character part of the key. Written from GJSON's path syntax and its `parseObjectPath`: in a
 * key, `.` separates, `|` pipes, `*` and `?` are wildcards, `\` escapes; a path starting with `@`,
 * `!`, `#`, `[` or `{` means a modifier, a literal, an array query or a multipath. Any of those
 * unescaped is refused here rather than resolved, so an example relying on them fails its test
 * instead of passing by accident.
 */

const SPECIAL_IN_KEY = new Set([".", "|", "*", "?", "\\"])
const SPECIAL_FIRST = new Set(["@", "!", "#", "[", "{"])

/** The keys of a path, or undefined when it uses more of GJSON than plain keys. */
export const gjsonKeys = (path: string): ReadonlyArray<string> | undefined => {
  const keys: Array<string> = []
  let key = ""
  let first = true
  for (let i = 0; i < path.length; i++) {
    const c = path[i] ?? ""
    if (first && SPECIAL_FIRST.has(c)) return undefined
    first = false
    if (c === "\\") {
      const next = path[i + 1]
      if (next === undefined) return undefined
      key += next
      i++
    } else if (c === ".") {
      keys.push(key)
      key = ""
      first = true
    } else if (SPECIAL_IN_KEY.has(c)) {
      return undefined
    } else {
      key += c
    }
  }
  keys.push(key)
  return keys
}

const isRecord = (u: unknown): u is Readonly<Record<string, unknown>> => typeof u === "object" && u !== null

/** GJSON's `Get` for such a path: object keys by name, array elements by index; undefined when absent. */
export const gjsonGet = (json: unknown, path: string): unknown => {
  const keys = gjsonKeys(path)
  if (keys === undefined) return undefined
  let here: unknown = json
  for (const key of keys) {
    if (Array.isArray(here)) here = /^\d+$/.test(key) ? here[Number(key)] : undefined
    else if (isRecord(here) && Object.hasOwn(here, key)) here = here[key]
    else return undefined
  }
  return here
}

/**
 * GJSON's `Escape` for one key: letters, digits, `_`, `-`, `:` and anything outside printable
 * ASCII stand as they are; every other character gets a `\` before it.
 */
export const gjsonEscape = (key: string): string =>
  [...key].map((c) => (/^[A-Za-z0-9_:-]$/.test(c) || c <= " " || c > "~" ? c : `\\${c}`)).join("")
