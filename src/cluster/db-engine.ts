// An engine's part in the farm's database cluster (a farm on etcd):
//   - a forwarder where its guests connect (`guestHost:forwardPort`: the bridge address
//     on the namespace runtime, else the engine's --address or loopback), following
//     Patroni's leader key to the current primary (db-primary.ts, db-forwarder.ts), and
//     published at keys.dbForwarder(engine) so the controller can hand guests their URL;
//   - with `member`, one Patroni member (Postgres under Patroni, as the postgres user).
// Should the bridge not hold its address yet (EADDRNOTAVAIL), binding is retried each
// second until it does.

import { join } from 'node:path';
import type { Logger } from '../lib/log.ts';
import { keys } from '../model/index.ts';
import type { Store } from '../store/index.ts';
import { ensureDbSecrets } from './db-secrets.ts';
import { startDbForwarder, type DbForwarder } from './db-forwarder.ts';
import { watchDbPrimary } from './db-primary.ts';
import type { PatroniTiming } from './patroni-config.ts';
import { startPatroniMember, type PatroniMember } from './patroni-member.ts';

export interface EngineDbOptions {
  /** Run a Patroni member on this engine (`corral engine --db`). */
  member?: { pgPort: number; apiPort: number; timing?: PatroniTiming };
  /** Where guests reach the forwarder (default: see engine-node.ts); port 0 = any. */
  forwardHost?: string;
  forwardPort: number;
}

export interface EngineDb {
  member?: PatroniMember;
  /** The forwarder's address once bound (the namespace bridge may come later). */
  forwarder(): { host: string; port: number } | undefined;
  close(): Promise<void>;
  destroy(): Promise<void>;
}

export interface EngineDbDeps {
  store: Store;
  etcd: { endpoints: string[]; namespace: string };
  engineId: string;
  dir: string;
  /** The engine's own address: the member listens there. */
  address: string;
  guestHost: string;
  log: Logger;
}

const BIND_RETRY_MS = 1_000;

export async function startEngineDb(opts: EngineDbOptions, deps: EngineDbDeps): Promise<EngineDb> {
  const { store, log } = deps;
  let forwarder: DbForwarder | undefined;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  const primary = await watchDbPrimary(store, (p) => {
    log.info({ event: 'db.primary_changed', primary: p ? `${p.member} ${p.host}:${p.port}` : null }, 'database primary changed');
    forwarder?.cut();
  });
  let member: PatroniMember | undefined;
  try {
    if (opts.member) {
      const secrets = await ensureDbSecrets(store);
      member = await startPatroniMember({
        name: deps.engineId, etcd: deps.etcd, address: deps.address, pgPort: opts.member.pgPort, apiPort: opts.member.apiPort,
        dir: join(deps.dir, 'patroni'), secrets, log, ...(opts.member.timing ? { timing: opts.member.timing } : {}),
      });
    }
    const host = opts.forwardHost ?? deps.guestHost;
    const bind = async (): Promise<void> => {
      try {
        const f = await startDbForwarder({ host, port: opts.forwardPort, primary: primary.current, log });
        if (stopped) return void (await f.close());
        forwarder = f;
        await store.put(keys.dbForwarder(deps.engineId), JSON.stringify({ host: f.host, port: f.port }));
        log.info({ event: 'db.forwarder_listening', host: f.host, port: f.port }, 'database forwarder listening');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EADDRNOTAVAIL' || stopped) throw err;
        retry = setTimeout(() => void bind().catch((e: Error) => log.error({ event: 'db.forwarder_failed', err: e.message }, 'database forwarder could not listen; retrying')), BIND_RETRY_MS);
      }
    };
    await bind();
  } catch (err) {
    primary.close();
    await member?.destroy();
    throw err;
  }
  const stop = async (memberStop: (m: PatroniMember) => Promise<void>) => {
    stopped = true;
    clearTimeout(retry);
    primary.close();
    await forwarder?.close();
    if (member) await memberStop(member);
  };
  return {
    ...(member ? { member } : {}),
    forwarder: () => (forwarder ? { host: forwarder.host, port: forwarder.port } : undefined),
    close: () => stop((m) => m.close()),
    destroy: () => stop((m) => m.destroy()),
  };
}
