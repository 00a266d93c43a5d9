// corral cert add|list|remove: a site's TLS certificate (PEM files; the key is sent
// once and never shown again).
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { Context } from '../context.ts';
import { CliError } from '../errors.ts';
import { printListing } from '../output.ts';

interface CertificateInfo {
  site: string;
  subject: string;
  sans: string[];
  notAfter: string;
  fingerprint256: string;
}

export function registerCert(program: Command, ctx: Context): void {
  const cert = program.command('cert').description("manage a site's TLS certificate (HTTPS with SNI)");
  cert
    .command('add <site>')
    .description('upload a certificate and its private key (PEM); replaces the current one')
    .requiredOption('--cert <file>', 'PEM certificate (chain)')
    .requiredOption('--key <file>', 'PEM private key (unencrypted)')
    .option('--json', 'print JSON (the certificate, never its key)')
    .action(async (site: string, o: { cert: string; key: string; json?: boolean }) => {
      const body = { cert: await readPem(o.cert, '--cert'), key: await readPem(o.key, '--key') };
      const res = await ctx.api().post<{ certificate: CertificateInfo }>(path(site), body);
      if (o.json) return ctx.print.out(JSON.stringify(res, null, 2));
      ctx.print.out(`certificate for ${res.certificate.sans.join(', ')} added to site ${site} (valid until ${res.certificate.notAfter})`);
    });
  cert
    .command('list <site>')
    .description("show the site's certificate (never its key)")
    .option('--json', 'print JSON')
    .action(async (site: string, o: { json?: boolean }) => {
      const res = await ctx.api().get<{ certificates: CertificateInfo[] }>(path(site));
      printListing(ctx.print, o.json, res, res.certificates, ['SITE', 'SUBJECT', 'NAMES', 'NOT AFTER', 'SHA-256'], (c) => [
        c.site, c.subject, c.sans.join(','), c.notAfter, c.fingerprint256,
      ]);
    });
  cert
    .command('remove <site>')
    .description("remove the site's certificate (HTTPS falls back to the default certificate)")
    .option('--json', 'print JSON')
    .action(async (site: string, o: { json?: boolean }) => {
      await ctx.api().delete(path(site));
      ctx.print.out(o.json ? JSON.stringify({ site, certificateRemoved: true }) : `certificate of site ${site} removed`);
    });
}

const path = (site: string) => `/v1/sites/${encodeURIComponent(site)}/certificates`;

async function readPem(file: string, flag: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError(`${flag}: cannot read ${file}: ${(err as Error).message}`);
  }
}
