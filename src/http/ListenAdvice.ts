/**
 * What to do when the endpoints cannot listen, by the reason Node gives: a taken port, a
 * privileged one (below 1024 for a user without CAP_NET_BIND_SERVICE), or an address that is not
 * this machine's. Freeing a port that nobody holds would be no help to the second or third.
 */
import { errorCode } from "../platform/ErrorCode.js"

export const listenAdvice = (cause: unknown, port: number): string => {
  switch (errorCode(cause)) {
    case "EACCES":
    case "EPERM":
      return `port ${port} is privileged (below 1024) and this user may not bind it: use a port of 1024 or above with HTTP_PORT (the default is 9477), or grant the process CAP_NET_BIND_SERVICE; HTTP_PORT=0 disables the endpoints`
    case "EADDRINUSE":
      return "another process listens there: stop it, choose another port with HTTP_PORT, or set HTTP_PORT=0 to disable the endpoints"
    case "EADDRNOTAVAIL":
      return "HTTP_HOST is not an address of this machine: use 0.0.0.0 (all interfaces) or 127.0.0.1, or set HTTP_PORT=0 to disable the endpoints"
    default:
      return "free the port, choose another with HTTP_PORT, or set HTTP_PORT=0 to disable the endpoints"
  }
}
