// The client's address of a request: the socket peer, or an X-Forwarded-For entry as far as the
// configured number of proxies is trusted.

import type { IncomingMessage } from 'node:http';

/** One header's value as text; repeated headers joined the way Node joins them. */
export function headerValue(value: string | string[] | number | undefined): string | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(', ') : String(value);
}

/**
 * The client address per `trustProxy`: `false` (or 0) the socket peer; `true` the first
 * `X-Forwarded-For` entry; a number N trusts N proxies (the Nth entry from the right, counting the peer).
 */
export function clientIp(req: IncomingMessage, trustProxy: boolean | number): string | undefined {
  const peer = req.socket?.remoteAddress;
  if (trustProxy === false || trustProxy === 0) return peer;
  const forwarded = headerValue(req.headers['x-forwarded-for']);
  if (!forwarded) return peer;
  const hops = forwarded
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (trustProxy === true) return hops[0] ?? peer;
  const chain = peer === undefined ? hops : [...hops, peer];
  return chain[Math.max(0, chain.length - 1 - trustProxy)] ?? peer;
}
