// acme-client, loaded on first use (it takes a few hundred ms to load: a farm with no
// site in 'auto' mode never pays it) and set up once:
//  - its own HTTP retries are off: the issuer retries whole orders with backoff and
//    Retry-After (acme-issuer.ts), so one order never blocks the loop for minutes;
//  - every request has a timeout, and requests to a directory's origin check its TLS
//    certificate against the system roots plus that CA's own root (trustDirectory);
//  - the CA's refusals during one order (Retry-After, rate limits, a lost account) are
//    read off its responses into that order's Problem (problems.run).

import { AsyncLocalStorage } from 'node:async_hooks';
import { Agent } from 'node:https';
import { rootCertificates } from 'node:tls';
import { retryAfterMs } from './acme-schedule.ts';

export type AcmeLib = typeof import('acme-client');

export interface Problem {
  retryAfterMs: number;
  rateLimited: boolean;
  /** The CA does not know the farm's account (any more). */
  accountMissing: boolean;
}

/** The CA's answers during one order. */
export const problems = new AsyncLocalStorage<Problem>();

const REQUEST_TIMEOUT_MS = 30_000;
/** The HTTPS agent per directory origin: the system roots plus that CA's own root. */
const agents = new Map<string, { caPem: string; agent: Agent }>();
let loading: Promise<AcmeLib> | undefined;

export function acmeLib(): Promise<AcmeLib> {
  return (loading ??= import('acme-client').then((mod) => {
    const acme = ((mod as { default?: AcmeLib }).default ?? mod) as AcmeLib;
    (acme.axios.defaults as unknown as { acmeSettings: { retryMaxAttempts: number } }).acmeSettings.retryMaxAttempts = 0;
    acme.axios.interceptors.request.use((config) => {
      const origin = config.url ? originOf(config.url) : undefined;
      const trust = origin ? agents.get(origin) : undefined;
      if (trust) config.httpsAgent = trust.agent;
      config.timeout ||= REQUEST_TIMEOUT_MS; // a CA that accepts and never answers must not hang the issuer
      return config;
    });
    acme.axios.interceptors.response.use((res) => {
      const p = problems.getStore();
      if (p && res.status >= 400) {
        p.retryAfterMs = Math.max(p.retryAfterMs, retryAfterMs(res.headers['retry-after'] as string | undefined));
        const type = (res.data as { type?: string } | undefined)?.type ?? '';
        if (res.status === 429 || type.endsWith(':rateLimited')) p.rateLimited = true;
        if (type.endsWith(':accountDoesNotExist')) p.accountMissing = true;
      }
      return res;
    });
    return acme;
  }));
}

/** Requests to directoryUrl's origin trust caPem besides the system roots (none: the system roots only). */
export function trustDirectory(directoryUrl: string, caPem: string | undefined): void {
  const origin = originOf(directoryUrl);
  if (!origin) return;
  if (!caPem) return void agents.delete(origin);
  if (agents.get(origin)?.caPem !== caPem) agents.set(origin, { caPem, agent: new Agent({ ca: [...rootCertificates, caPem] }) });
}

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}
