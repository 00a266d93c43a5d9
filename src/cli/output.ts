// How commands print: a listing as a table (--wide adds the wide columns), with --json as
// JSON for scripts, with --quiet its first column only (one name a line).
import type { Context } from './context.ts';
import { table, visible } from './table.ts';

export interface Printer {
  out(line: string): void;
  err(line: string): void;
}

export const stdio: Printer = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

export interface ListingOpts {
  json?: boolean;
  wide?: boolean;
}

/** A column of a listing; `wide` ones only with --wide. */
export interface Column<T> {
  header: string;
  value: (item: T) => string | number | undefined;
  wide?: boolean;
}

export function printListing<T>(p: Printer, json: boolean | undefined, data: unknown, items: T[], headers: string[], row: (item: T) => (string | number | undefined)[]): void {
  if (json) p.out(JSON.stringify(data, null, 2));
  else if (items.length === 0) p.out('(none)');
  else p.out(table(headers, items.map(row)));
}

/** A listing by columns, honouring --json, --wide and the global --quiet. */
export function printColumns<T>(ctx: Context, o: ListingOpts, data: unknown, items: T[], columns: Column<T>[]): void {
  if (o.json) return ctx.print.out(JSON.stringify(data, null, 2));
  if (ctx.quiet()) {
    for (const item of items) ctx.print.out(visible(String(columns[0]?.value(item) ?? '')));
    return;
  }
  if (items.length === 0) return ctx.print.out('(none)');
  const shown = columns.filter((c) => o.wide || !c.wide);
  ctx.print.out(table(shown.map((c) => c.header), items.map((item) => shown.map((c) => c.value(item)))));
}

/** "www.example.com +2": the first domain (at most 40 characters) and how many more. */
export function domainsShort(domains: string[]): string {
  const first = domains[0] ?? '-';
  const short = first.length > 40 ? `${first.slice(0, 39)}…` : first;
  return domains.length > 1 ? `${short} +${domains.length - 1}` : short;
}
