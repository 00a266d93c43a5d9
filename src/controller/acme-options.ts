// The farm's ACME settings (`corral up` / `corral controller`: --acme-directory,
// --acme-email, --acme-eab-kid/--acme-eab-hmac, --acme-dns-hook, --acme-ca-file), with
// their defaults.

import type { ScheduleOptions } from './acme-schedule.ts';
import { DEFAULT_SCHEDULE } from './acme-schedule.ts';

export const LETS_ENCRYPT_DIRECTORY = 'https://acme-v02.api.letsencrypt.org/directory';

export type ChallengeType = 'http-01' | 'tls-alpn-01' | 'dns-01';

export interface AcmeSettings extends Partial<ScheduleOptions> {
  /** RFC 8555 directory URL (default Let's Encrypt production). */
  directoryUrl?: string;
  email?: string;
  /** External Account Binding, for CAs that want one. */
  eab?: { kid: string; hmacKey: string };
  /** Called as `<hook> add|remove <name> <value>` for DNS-01 (wildcards, or when preferred). */
  dnsHook?: string;
  /** Wait after the hook's `add` before the CA is asked to look (default 60 s). */
  dnsPropagationMs?: number;
  /** Wait after an HTTP-01 or TLS-ALPN-01 answer is published, for the routers to pick it up (default 1 s). */
  publishWaitMs?: number;
  /** A private CA's root the directory's HTTPS certificate is checked against, besides the system's (PEM). */
  caPem?: string;
  /** Challenge types in order of preference (default http-01, tls-alpn-01, dns-01); a wildcard always takes dns-01. */
  challenges?: ChallengeType[];
  /**
   * How often every site is looked at even without a change (default 10 min). Changes are
   * watched and each site's next due time is scheduled, so this pass is only a safety net;
   * at 10,000 sites it costs ≈ 30 ms of the idle farm's CPU each time.
   */
  tickMs?: number;
  /** Polling of an order's state at the CA (acme-client's backoff): first wait, longest wait, tries. */
  pollMinMs?: number;
  pollMaxMs?: number;
  pollAttempts?: number;
  /** The clock (tests move it to force a renewal). */
  now?: () => number;
}

export type AcmeOptions = Required<Omit<AcmeSettings, 'email' | 'eab' | 'dnsHook' | 'caPem'>> & Pick<AcmeSettings, 'email' | 'eab' | 'dnsHook' | 'caPem'>;

export function acmeOptions(s: AcmeSettings): AcmeOptions {
  return {
    ...DEFAULT_SCHEDULE,
    directoryUrl: LETS_ENCRYPT_DIRECTORY,
    dnsPropagationMs: 60_000,
    publishWaitMs: 1000,
    challenges: ['http-01', 'tls-alpn-01', 'dns-01'],
    tickMs: 600_000,
    pollMinMs: 1000,
    pollMaxMs: 30_000,
    pollAttempts: 10,
    now: Date.now,
    ...stripUndefined(s),
  } as AcmeOptions;
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
