/**
 * Keeping the API key out of everything the service writes or logs, even when the API echoes it.
 *
 * Raw text (an error body, a transport message) is searched for the key in every form JSON can
 * write it: each character literal or as a `\uXXXX` escape, `/` also as `\/`. Decoded answers are
 * searched value by value, after JSON has undone any escaping. A value that is a well-formed
 * timestamp is left alone: it can hold nothing but a time, and a short key such as `2026` must not
 * turn ordinary dates into `<redacted>-11-27`.
 */
import type { Reading } from "../../domain/Reading.js"

export const REDACTED = "<redacted>"

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/i

const escapeForRegExp = (char: string) => char.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&")

/** `\uXXXX` for one character, the hex digits in either case (JSON allows both). */
const unicodeEscape = (code: number): string =>
  `\\\\u${
    [...code.toString(16).padStart(4, "0")].map((digit) =>
      /[a-f]/.test(digit) ? `[${digit}${digit.toUpperCase()}]` : digit
    ).join("")
  }`

/** A pattern matching the key however JSON escaped each of its characters. */
const escapedKeyPattern = (key: string): RegExp =>
  new RegExp(
    [...key].map((char) => {
      const code = char.codePointAt(0) ?? 0
      const alternatives = [
        escapeForRegExp(char),
        code <= 0xffff ? unicodeEscape(code) : "",
        char === "/" ? "\\\\/" : ""
      ]
        .filter((a) => a !== "")
      return `(?:${alternatives.join("|")})`
    }).join(""),
    "g"
  )

export interface Redactor {
  /** Raw text with every written form of the key replaced. */
  readonly text: (text: string) => string
  /** One decoded value with the key replaced (a well-formed timestamp is left as it is). */
  readonly value: (decoded: string) => string
  /** A decoded reading with the key replaced in every value that could carry it. */
  readonly reading: (reading: Reading) => Reading
}

export const makeRedactor = (key: string): Redactor => {
  if (key === "") return { text: (text) => text, value: (decoded) => decoded, reading: (reading) => reading }
  const pattern = escapedKeyPattern(key)
  const text = (value: string) => value.replace(pattern, REDACTED)
  const value = (
    decoded: string
  ) => (RFC3339.test(decoded) || !decoded.includes(key) ? decoded : decoded.split(key).join(REDACTED))
  const optional = (decoded: string | null): string | null => (decoded === null ? null : value(decoded))
  return {
    text,
    value,
    reading: (reading) => {
      const strings = [
        reading.zone,
        reading.datetime,
        reading.updatedAt,
        reading.createdAt,
        reading.emissionFactorType,
        reading.estimationMethod,
        reading.temporalGranularity
      ]
      if (!strings.some((s) => typeof s === "string" && s.includes(key))) return reading
      return {
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
      }
    }
  }
}
