// When the ACME issuer acts: renewal at two thirds of a certificate's lifetime, a little
// earlier by a random jitter (so a farm's certificates do not all renew in the same
// minute), and after a failure an exponential backoff that a CA's Retry-After or
// rate-limit answer can only lengthen.

export interface ScheduleOptions {
  /** Part of the lifetime after which a certificate is renewed (default 2/3). */
  renewFraction: number;
  /** Up to this part of the lifetime earlier, at random (default 1/30: about 3 days of 90). */
  jitterFraction: number;
  /** First retry after a failure (default 1 minute), doubled per failure in a row… */
  backoffMinMs: number;
  /** …up to this (default 6 hours). */
  backoffMaxMs: number;
}

export const DEFAULT_SCHEDULE: ScheduleOptions = { renewFraction: 2 / 3, jitterFraction: 1 / 30, backoffMinMs: 60_000, backoffMaxMs: 6 * 3600_000 };

/** When a certificate valid from notBefore to notAfter should be renewed. */
export function renewalAt(notBefore: Date, notAfter: Date, o: ScheduleOptions, random = Math.random): Date {
  const lifetime = notAfter.getTime() - notBefore.getTime();
  return new Date(notBefore.getTime() + lifetime * o.renewFraction - lifetime * o.jitterFraction * random());
}

/** When to try again after `failures` failures in a row (≥ 1); retryAfterMs, the CA's own wish, wins if later. */
export function retryAt(now: number, failures: number, o: ScheduleOptions, retryAfterMs = 0, random = Math.random): Date {
  const backoff = Math.min(o.backoffMaxMs, o.backoffMinMs * 2 ** Math.min(30, Math.max(0, failures - 1)));
  const jittered = backoff * (0.9 + 0.2 * random());
  return new Date(now + Math.max(jittered, retryAfterMs));
}

/** A Retry-After header (seconds or an HTTP date) in ms from now; 0 when absent or past. */
export function retryAfterMs(header: string | undefined, now = Date.now()): number {
  if (!header) return 0;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? 0 : Math.max(0, at - now);
}
