// Publishing the answer to an ACME challenge, and taking it down after. HTTP-01 and
// TLS-ALPN-01: one record under keys.acmeChallenges (the routers serve it from their route
// watch, only for that site's own domain). DNS-01: the operator's hook, called as
// `<hook> add|remove <name> <value>`, then a wait for the record to propagate.

import { execFile } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import type { Authorization } from 'acme-client';
import { keys, type AcmeChallengeRecord } from '../model/index.ts';
import type { Store } from '../store/types.ts';
import { acmeLib } from './acme-lib.ts';
import type { AcmeOptions } from './acme-options.ts';

type Authz = Authorization;
/** acme-client's types know HTTP-01 and DNS-01 only; TLS-ALPN-01 has the same fields. */
type Challenge = { type: string; token: string; url: string; status: string };

export interface ChallengeAnswers {
  publish(authz: Authz, challenge: Challenge, keyAuthorization: string): Promise<void>;
  withdraw(authz: Authz, challenge: Challenge, keyAuthorization: string): Promise<void>;
}

export function challengeAnswers(store: Store, site: string, opts: AcmeOptions): ChallengeAnswers {
  const key = (challenge: Challenge) => keys.acmeChallenge(site, challenge.token.replace(/[^A-Za-z0-9_-]/g, '_'));
  return {
    async publish(authz, challenge, keyAuthorization) {
      const domain = authz.identifier.value.toLowerCase();
      const at = new Date().toISOString();
      if (challenge.type === 'dns-01') {
        await runHook(opts, 'add', dnsName(domain), keyAuthorization);
        await delay(opts.dnsPropagationMs);
        return;
      }
      let rec: AcmeChallengeRecord;
      if (challenge.type === 'http-01') rec = { site, domain, type: 'http-01', token: challenge.token, keyAuthorization, createdAt: at };
      else if (challenge.type === 'tls-alpn-01') {
        const [k, cert] = await (await acmeLib()).crypto.createAlpnCertificate(authz, keyAuthorization);
        rec = { site, domain, type: 'tls-alpn-01', cert: cert.toString(), key: k.toString(), createdAt: at };
      } else throw new Error(`challenge type ${challenge.type} is not supported`);
      await store.put(key(challenge), JSON.stringify(rec));
      await delay(opts.publishWaitMs); // the routers' watches pick it up
    },
    async withdraw(authz, challenge, keyAuthorization) {
      if (challenge.type === 'dns-01') return runHook(opts, 'remove', dnsName(authz.identifier.value.toLowerCase()), keyAuthorization);
      await store.delete(key(challenge));
    },
  };
}

/** The TXT record's name for a domain (a wildcard's is its base's). */
export function dnsName(domain: string): string {
  return `_acme-challenge.${domain.replace(/^\*\./, '')}`;
}

function runHook(opts: AcmeOptions, action: 'add' | 'remove', name: string, value: string): Promise<void> {
  const hook = opts.dnsHook;
  if (!hook) return Promise.reject(new Error('DNS-01 needs a DNS hook (--acme-dns-hook)'));
  return new Promise((resolve, reject) => {
    execFile(hook, [action, name, value], { timeout: 120_000 }, (err, _stdout, stderr) => {
      if (!err) return resolve();
      const why = err.killed ? 'timed out' : `exited with ${String(err.code ?? err.signal)}`;
      reject(new Error(`the DNS hook ${hook} ${action} ${name} ${why}${stderr.trim() ? `: ${stderr.trim().slice(0, 300)}` : ''}`));
    });
  });
}
