// How commands print: a listing as a table or, with --json, as JSON for scripts.
import { table } from './table.ts';

export interface Printer {
  out(line: string): void;
  err(line: string): void;
}

export const stdio: Printer = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

export function printListing<T>(p: Printer, json: boolean | undefined, data: unknown, items: T[], headers: string[], row: (item: T) => (string | number | undefined)[]): void {
  if (json) p.out(JSON.stringify(data, null, 2));
  else if (items.length === 0) p.out('(none)');
  else p.out(table(headers, items.map(row)));
}
