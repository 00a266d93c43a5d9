// The farm's ACME flags, shared by `corral up` and `corral controller` (what they give
// the controller's ACME issuer: its AcmeSettings, src/controller/acme-options.ts).
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CliError } from '../errors.ts';
import { decimal } from './numbers.ts';

const LETS_ENCRYPT_DIRECTORY = 'https://acme-v02.api.letsencrypt.org/directory';

/** The flags' part of the controller's AcmeSettings. */
export interface AcmeSettings {
  directoryUrl: string;
  email?: string;
  eab?: { kid: string; hmacKey: string };
  dnsHook?: string;
  dnsPropagationMs: number;
  caPem?: string;
  challenges?: Array<'http-01' | 'tls-alpn-01' | 'dns-01'>;
}

export interface AcmeFlags {
  acmeDirectory: string;
  acmeEmail?: string;
  acmeEabKid?: string;
  acmeEabHmac?: string;
  acmeDnsHook?: string;
  acmeDnsWait: string;
  acmeCaFile?: string;
  acmeChallenges?: string;
}

const CHALLENGES = ['http-01', 'tls-alpn-01', 'dns-01'] as const;

export function addAcmeFlags(cmd: Command): Command {
  return cmd
    .option('--acme-directory <url>', `ACME directory for sites with --tls auto (Let's Encrypt staging, any RFC 8555 CA); none: no ACME`, LETS_ENCRYPT_DIRECTORY)
    .option('--acme-email <address>', "contact e-mail of the farm's ACME account (expiry notices)")
    .option('--acme-eab-kid <kid>', 'External Account Binding key id, for a CA that wants one')
    .option('--acme-eab-hmac <key>', 'External Account Binding HMAC key (base64url)')
    .option('--acme-dns-hook <command>', 'DNS-01 (wildcard domains): called as <command> add|remove <name> <value>')
    .option('--acme-dns-wait <seconds>', 'wait after the DNS hook added a record, before the CA looks', '60')
    .option('--acme-ca-file <pem>', "a private CA's root to trust for the ACME directory's HTTPS (also CORRAL_ACME_CA_FILE)")
    .option('--acme-challenges <list>', `challenge types in order of preference: ${CHALLENGES.join(',')}`);
}

/** The issuer's settings, or undefined with --acme-directory none. */
export function acmeSettings(o: AcmeFlags): AcmeSettings | undefined {
  if (o.acmeDirectory === 'none') return undefined;
  let url: URL;
  try {
    url = new URL(o.acmeDirectory);
  } catch {
    throw new CliError(`--acme-directory: ${JSON.stringify(o.acmeDirectory)} is not a URL (https://…/directory, or none)`);
  }
  if (url.protocol !== 'https:') throw new CliError('--acme-directory must be an https:// URL (RFC 8555)');
  if ((o.acmeEabKid === undefined) !== (o.acmeEabHmac === undefined)) throw new CliError('--acme-eab-kid and --acme-eab-hmac go together');
  const wait = decimal(o.acmeDnsWait);
  if (!Number.isFinite(wait) || wait < 0 || wait > 3600) throw new CliError('--acme-dns-wait must be 0–3600 seconds');
  const caFile = o.acmeCaFile ?? process.env.CORRAL_ACME_CA_FILE;
  let caPem: string | undefined;
  if (caFile) {
    try {
      caPem = readFileSync(caFile, 'utf8');
    } catch (err) {
      throw new CliError(`--acme-ca-file: cannot read ${caFile}: ${(err as Error).message}`);
    }
  }
  const challenges = o.acmeChallenges?.split(',').map((c) => c.trim());
  const unknown = challenges?.find((c) => !(CHALLENGES as readonly string[]).includes(c));
  if (unknown !== undefined) throw new CliError(`--acme-challenges: unknown type ${JSON.stringify(unknown)} (${CHALLENGES.join(', ')})`);
  return {
    directoryUrl: url.href,
    dnsPropagationMs: wait * 1000,
    ...(o.acmeEmail ? { email: o.acmeEmail } : {}),
    ...(o.acmeEabKid && o.acmeEabHmac ? { eab: { kid: o.acmeEabKid, hmacKey: o.acmeEabHmac } } : {}),
    ...(o.acmeDnsHook ? { dnsHook: o.acmeDnsHook } : {}),
    ...(caPem ? { caPem } : {}),
    ...(challenges ? { challenges: challenges as AcmeSettings['challenges'] } : {}),
  };
}
