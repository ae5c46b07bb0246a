/** The service's name and version, as sent in `user-agent` and printed by `--help`. Kept equal to
 * package.json's by a test. */
export const NAME = "carbon-poller"
export const VERSION = "0.1.0"
