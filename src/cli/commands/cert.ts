// corral cert add|list|status|remove: a site's TLS certificate (PEM files; the key is sent
// once and never shown again), and the state of every certificate the token may see
// (ACME: issuer, names, not-after, next renewal, last error).
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { Context } from '../context.ts';
import { CliError } from '../errors.ts';
import { printListing } from '../output.ts';
import type { CertificateInfo, CertificateState } from '../../model/index.ts';

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
    .command('list [site]')
    .description("every site's certificate state (mode, issuer, names, not-after, next renewal, last error); with a site, its certificate (never its key)")
    .option('--json', 'print JSON')
    .action(async (site: string | undefined, o: { json?: boolean }) => {
      if (site === undefined) {
        const all = await ctx.api().get<{ certificates: CertificateState[] }>('/v1/certificates');
        return printListing(ctx.print, o.json, all, all.certificates, ['SITE', 'MODE', 'STATE', 'ISSUER', 'NAMES', 'NOT AFTER', 'NEXT RENEWAL', 'LAST ERROR'], (c) => [
          c.site, c.mode, c.state, c.issuer ?? '-', c.names.join(',') || '-', c.notAfter ?? '-', c.nextRenewal ?? '-', c.lastError ?? '-',
        ]);
      }
      const res = await ctx.api().get<{ certificates: CertificateInfo[] }>(path(site));
      printListing(ctx.print, o.json, res, res.certificates, ['SITE', 'SUBJECT', 'NAMES', 'NOT AFTER', 'SHA-256'], (c) => [
        c.site, c.subject, c.sans.join(','), c.notAfter, c.fingerprint256,
      ]);
    });
  cert
    .command('status <site>')
    .description("the site's certificate: mode, state, issuer, names, not-after, next renewal, last error")
    .option('--json', 'print JSON')
    .action(async (site: string, o: { json?: boolean }) => {
      const res = await ctx.api().get<{ certificate: CertificateState }>(`/v1/sites/${encodeURIComponent(site)}/certificate-status`);
      if (o.json) return ctx.print.out(JSON.stringify(res, null, 2));
      const c = res.certificate;
      const lines: Array<[string, string | undefined]> = [
        ['site', c.site], ['mode', c.mode], ['state', c.state], ['source', c.source], ['issuer', c.issuer], ['names', c.names.join(', ') || undefined],
        ['not after', c.notAfter], ['next renewal', c.nextRenewal], ['failures', c.failures ? String(c.failures) : undefined], ['last error', c.lastError],
      ];
      for (const [k, v] of lines) if (v !== undefined) ctx.print.out(`${k.padEnd(13)} ${v}`);
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
