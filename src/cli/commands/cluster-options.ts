// Shared by the cluster role commands: ports, ids, proxies, domains (Ctrl-C: stop-signals.ts).
import type { Command } from 'commander';
import { availableParallelism } from 'node:os';
import { CliError } from '../errors.ts';
import { wholeNumber } from './numbers.ts';

export function port(v: string, flag: string): number {
  return wholeNumber(v, flag, { max: 65535, expected: 'a port number (0–65535)' });
}

/**
 * Listeners given the same nonzero port, refused before anything starts: the second
 * would fail with EADDRINUSE, naming neither flag. Port 0 (any free port) may repeat.
 */
export function distinctPorts(ports: Record<string, number>): void {
  const seen = new Map<number, string>();
  for (const [flag, n] of Object.entries(ports)) {
    const other = seen.get(n);
    if (n !== 0 && other !== undefined) throw new CliError(`${other} and ${flag} are both ${n}: give each listener its own port (or 0 for any)`);
    seen.set(n, flag);
  }
}

export function positiveInt(v: string | undefined, flag: string): number | undefined {
  return v === undefined ? undefined : wholeNumber(v, flag, { expected: 'a whole number >= 0' });
}

/** A count of router worker processes: a number from 1 to 256, or auto (one per core). */
export function workerCount(v: string, flag: string): number {
  if (v === 'auto') return availableParallelism();
  return wholeNumber(v, flag, { min: 1, max: 256, expected: 'auto or a number from 1 to 256' });
}

/**
 * --trusted-proxies <ip|cidr,…>: the proxies in front of the router; absent → none. The
 * router's parser is loaded here, not with this module (`corral router` forks its workers
 * before it loads the router).
 */
export async function trustedProxies(v: string | undefined): Promise<string[]> {
  if (v === undefined) return [];
  const { parseTrustedProxies, trustedProxyError } = await import('../../router/index.ts');
  const list = parseTrustedProxies(v);
  for (const entry of list) {
    const bad = trustedProxyError(entry);
    if (bad) throw new CliError(`--trusted-proxies: ${bad}`);
  }
  return list;
}

/** --trusted-proxies (corral up, corral router). */
export function addTrustedProxiesFlag(cmd: Command): Command {
  return cmd.option('--trusted-proxies <ip|cidr,…>', 'addresses or CIDR blocks (comma-separated) of the proxies in front of the router: only they may pass X-Forwarded-* and Forwarded on (extended); every other client\'s are replaced. Default: none');
}

/**
 * --reserved-domains a.example,*.b.example: names customers may not claim (checked here, so a
 * typo fails at start). The controller's domain rules are loaded here, not with this module:
 * `corral router` and `corral engine` share it and need none of the controller's code.
 */
export async function reservedDomains(v: string | undefined, flag = '--reserved-domains'): Promise<string[]> {
  if (v === undefined) return [];
  const list = v.split(',').map((d) => d.trim()).filter((d) => d !== '');
  const { domainRules } = await import('../../controller/index.ts');
  try {
    return [...domainRules(list).reserved];
  } catch (err) {
    throw new CliError(`${flag}: ${(err as Error).message}`);
  }
}

/** --reserved-domains (corral up, corral controller). */
export function addReservedDomainsFlag(cmd: Command): Command {
  return cmd
    .option('--reserved-domains <list>', 'comma-separated domains customers may not claim (an admin may): a.example is that name, *.b.example every name below b.example; the farm\'s own names are always reserved')
    .option('--customer-max-vs <n>', 'most virtual servers a customer\'s own token may ask for across its sites (replicas; an autoscaled site\'s max; pooled static sites none), 0 = no limit; an admin may give more', '16')
    .option('--api-connections-per-address <n>', 'most API connections open at once from one client address (the next gets 429 at accept), 0 = no limit (an API behind a proxy of yours)', '256');
}

/** --api-connections-per-address: 0 (no limit) to 1000000. */
export function apiConnectionsPerAddress(v: string): number {
  return wholeNumber(v, '--api-connections-per-address', { min: 0, max: 1_000_000, expected: 'a number from 0 (no limit) to 1000000' });
}

/** --customer-max-vs: 0 (no limit) to 100000. */
export function customerMaxVs(v: string): number {
  return wholeNumber(v, '--customer-max-vs', { min: 0, max: 100_000, expected: 'a number from 0 (no limit) to 100000' });
}

/** --token on a role command is also the program's global --token: take whichever commander filled. */
export function roleToken(program: Command, own: string | undefined, role: string): string {
  const token = own ?? program.opts<{ token?: string }>().token;
  if (!token) throw new CliError(`corral ${role} --join needs --token <join-token> (an admin makes one: corral join-token create)`);
  return token;
}
