// The host part of a URL for a listener bound to `host`: a wildcard bind is reached
// on loopback, and IPv6 literals get brackets.

export function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
