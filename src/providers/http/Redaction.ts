/**
 * Keeping secrets (an API key, a password, a login's Basic credentials, a bearer token) out of
 * everything the service writes or logs, even when a provider echoes them, whole or in part.
 *
 * Text is searched for any run of at least `MIN_FRAGMENT` consecutive characters of the key (the
 * whole key when it is shorter), read two ways: as written, and with one level of JSON escapes
 * undone (`\uXXXX` in either case, `\/`, `\"`, `\\`), so an escaped echo is found too and is
 * replaced escapes and all. A part of the key counts as much as the whole: an upstream that echoes
 * half of it, or a message cut in the middle of it, must not hand that half to the log.
 *
 * Callers redact before they shorten anything: a cut can then only remove characters, never leave a
 * key fragment that redaction would have caught. Decoded answers are searched value by value, after
 * JSON has undone any escaping. A value that is a well-formed timestamp is left alone: it can hold
 * nothing but a time, and a short key such as `2026` must not turn ordinary dates into
 * `<redacted>-11-27`.
 */
import type { Reading } from "../../domain/Reading.js"

export const REDACTED = "<redacted>"

/**
 * The shortest run of the key's characters treated as a part of it. Six characters of a random key
 * almost never occur by chance in an API's text, and fewer reveal little of a key.
 */
export const MIN_FRAGMENT = 6

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/i

/**
 * Characters with where each came from in the raw text: character `i` spans `[starts[i], ends[i])`.
 * The literal view has none (character `i` is at `i`), so text without a backslash costs no arrays.
 */
interface View {
  readonly chars: string
  readonly starts?: Int32Array
  readonly ends?: Int32Array
}

const BACKSLASH = 0x5c

/** What a one-character JSON escape (`\"`, `\\`, `\/`, `\b`, ...) stands for, by the escape letter's code. */
const SIMPLE_ESCAPES: ReadonlyMap<number, number> = new Map([
  [0x22, 0x22],
  [0x5c, 0x5c],
  [0x2f, 0x2f],
  [0x62, 0x08],
  [0x66, 0x0c],
  [0x6e, 0x0a],
  [0x72, 0x0d],
  [0x74, 0x09]
])

const hexDigit = (code: number): number =>
  code >= 0x30 && code <= 0x39
    ? code - 0x30
    : (code | 0x20) >= 0x61 && (code | 0x20) <= 0x66
    ? (code | 0x20) - 0x57
    : -1

/** The code unit of `\uXXXX` whose hex digits start at `at`, or -1. */
const unicodeEscape = (text: string, at: number): number => {
  let value = 0
  for (let k = 0; k < 4; k++) {
    const digit = at + k < text.length ? hexDigit(text.charCodeAt(at + k)) : -1
    if (digit < 0) return -1
    value = value * 16 + digit
  }
  return value
}

const utf16 = new TextDecoder("utf-16le")

/**
 * The text with one level of JSON string escapes undone; anything else is taken as written. Code
 * units, not strings, per character: a 2 MiB answer full of escapes is decoded in milliseconds.
 */
const unescapedView = (text: string): View => {
  const codes = new Uint16Array(text.length)
  const starts = new Int32Array(text.length)
  const ends = new Int32Array(text.length)
  let n = 0
  let i = 0
  while (i < text.length) {
    const start = i
    let code = text.charCodeAt(i)
    const next = i + 1 < text.length ? text.charCodeAt(i + 1) : -1
    const unicode = code === BACKSLASH && next === 0x75 ? unicodeEscape(text, i + 2) : -1
    const simple = code === BACKSLASH ? SIMPLE_ESCAPES.get(next) : undefined
    if (unicode >= 0) {
      code = unicode
      i += 6
    } else if (simple !== undefined) {
      code = simple
      i += 2
    } else {
      i += 1
    }
    codes[n] = code
    starts[n] = start
    ends[n] = i
    n++
  }
  return { chars: utf16.decode(codes.subarray(0, n)), starts, ends }
}

export interface Redactor {
  /** Raw text with every written form of the key, and of any part of it, replaced. */
  readonly text: (text: string) => string
  /** One decoded value with the key (or a part of it) replaced; a well-formed timestamp is left as it is. */
  readonly value: (decoded: string) => string
  /** A decoded reading with the key replaced in every value that could carry it. */
  readonly reading: (reading: Reading) => Reading
}

const identity: Redactor = { text: (text) => text, value: (decoded) => decoded, reading: (reading) => reading }

/**
 * One redactor for every secret given (empty ones are skipped): each is searched for in every form
 * and part, in one pass over the text, so what one replacement leaves cannot hide another secret.
 */
export const makeRedactor = (...keys: ReadonlyArray<string>): Redactor => {
  const secrets = keys.filter((key) => key !== "")
  if (secrets.length === 0) return identity
  const fragments = new Set<string>()
  for (const key of secrets) {
    const length = Math.min(MIN_FRAGMENT, key.length)
    for (let i = 0; i + length <= key.length; i++) fragments.add(key.slice(i, i + length))
  }
  const shortest = Math.min(...[...fragments].map((fragment) => fragment.length))

  /**
   * Raw-text spans covered by a fragment of the key in one view. One native `indexOf` pass per
   * fragment: a 2 MiB answer costs milliseconds, where testing every position cost a quarter second.
   */
  const spansIn = (view: View): Array<[number, number]> => {
    const spans: Array<[number, number]> = []
    for (const fragment of fragments) {
      for (let i = view.chars.indexOf(fragment); i >= 0; i = view.chars.indexOf(fragment, i + 1)) {
        spans.push([view.starts?.[i] ?? i, view.ends?.[i + fragment.length - 1] ?? i + fragment.length])
      }
    }
    return spans
  }

  const text = (raw: string): string => {
    if (raw.length < shortest) return raw
    const spans = [...spansIn({ chars: raw }), ...(raw.includes("\\") ? spansIn(unescapedView(raw)) : [])]
      .sort((a, b) => a[0] - b[0])
    if (spans.length === 0) return raw
    let out = ""
    let at = 0
    let current: [number, number] | undefined
    for (const span of spans) {
      if (current !== undefined && span[0] <= current[1]) {
        current[1] = Math.max(current[1], span[1])
        continue
      }
      if (current !== undefined) {
        out += raw.slice(at, current[0]) + REDACTED
        at = current[1]
      }
      current = [span[0], span[1]]
    }
    if (current !== undefined) out += raw.slice(at, current[0]) + REDACTED + raw.slice(current[1])
    return out
  }

  const value = (decoded: string): string => (RFC3339.test(decoded) ? decoded : text(decoded))
  const optional = (decoded: string | null): string | null => (decoded === null ? null : value(decoded))
  return {
    text,
    value,
    reading: (reading) => ({
      ...reading,
      zone: value(reading.zone),
      datetime: value(reading.datetime),
      ...(reading.updatedAt !== undefined ? { updatedAt: value(reading.updatedAt) } : {}),
      ...(reading.createdAt !== undefined ? { createdAt: value(reading.createdAt) } : {}),
      emissionFactorType: value(reading.emissionFactorType),
      ...(reading.estimationMethod !== undefined ? { estimationMethod: optional(reading.estimationMethod) } : {}),
      ...(reading.temporalGranularity !== undefined
        ? { temporalGranularity: optional(reading.temporalGranularity) }
        : {})
    })
  }
}
