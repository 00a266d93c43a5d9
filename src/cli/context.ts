// What every command gets: the API client (built lazily from flags/env/.corral) and a printer.
import type { Command } from 'commander';
import { apiClient, type ApiClient } from './api-client.ts';
import { resolveClientConfig } from './config.ts';
import type { Printer } from './output.ts';

export interface Context {
  api(): ApiClient;
  print: Printer;
  /** The global --quiet: listings print their first column only, confirmations nothing. */
  quiet(): boolean;
  /** A confirmation or hint for a person (not printed with --quiet). */
  say(line: string): void;
}

export function makeContext(program: Command, print: Printer): Context {
  let client: ApiClient | undefined;
  const quiet = () => program.opts<{ quiet?: boolean }>().quiet === true;
  return {
    print,
    quiet,
    say: (line) => {
      if (!quiet()) print.out(line);
    },
    api() {
      client ??= apiClient(resolveClientConfig(program.opts<{ api?: string; token?: string; dir?: string }>()));
      return client;
    },
  };
}
