// What every command gets: the API client (built lazily from flags/env/.corral) and a printer.
import type { Command } from 'commander';
import { apiClient, type ApiClient } from './api-client.ts';
import { resolveClientConfig } from './config.ts';
import type { Printer } from './output.ts';

export interface Context {
  api(): ApiClient;
  print: Printer;
}

export function makeContext(program: Command, print: Printer): Context {
  let client: ApiClient | undefined;
  return {
    print,
    api() {
      client ??= apiClient(resolveClientConfig(program.opts<{ api?: string; token?: string; dir?: string }>()));
      return client;
    },
  };
}
