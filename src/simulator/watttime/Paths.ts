/** WattTime's paths, served at the simulator's origin (WattTime's base URL has no version prefix). */
import type { Endpoint } from "../Stats.js"

export const LOGIN_PATH = "/login"
export const FORECAST_PATH = "/v3/forecast"
export const MY_ACCESS_PATH = "/v3/my-access"

/** The counters' name for a WattTime path; undefined for any other path. */
export const wattTimeEndpoint = (path: string): Endpoint | undefined =>
  path === LOGIN_PATH
    ? "watttime-login"
    : path === FORECAST_PATH
    ? "watttime-forecast"
    : path === MY_ACCESS_PATH
    ? "watttime-my-access"
    : undefined
