// The database cluster's current primary, from Patroni's keys in the farm's store:
// `db/leader` holds the primary's member name, `db/members/<name>` its `conn_url`. Watched,
// so a new leader is followed as soon as Patroni writes its key; no leader (the old one's
// lease expired, none promoted yet) is `undefined`.

import { keys } from '../model/index.ts';
import type { Store, Watcher } from '../store/index.ts';
import { PATRONI_SCOPE } from './patroni-config.ts';

export interface DbEndpoint {
  host: string;
  port: number;
  /** The Patroni member (engine id). */
  member: string;
}

export interface DbPrimaryWatch {
  current(): DbEndpoint | undefined;
  close(): void;
}

const base = `${keys.patroni}${PATRONI_SCOPE}/`;
export const patroniKeys = { leader: `${base}leader`, member: (name: string) => `${base}members/${name}` } as const;

export async function watchDbPrimary(store: Store, onChange: (primary: DbEndpoint | undefined) => void = () => {}): Promise<DbPrimaryWatch> {
  let current: DbEndpoint | undefined;
  let seq = 0;
  let retry: NodeJS.Timeout | undefined;
  let closed = false;
  // A read that fails is tried again until one succeeds: the next event may be long in
  // coming (a leader keeps its key alive without writing it), and until then `current`
  // would name a primary that may be gone.
  const refresh = async (): Promise<void> => {
    clearTimeout(retry);
    const mine = ++seq;
    let next: DbEndpoint | undefined;
    try {
      next = await readPrimary(store);
    } catch {
      if (mine === seq && !closed) retry = setTimeout(() => void refresh(), REFRESH_RETRY_MS);
      return;
    }
    if (mine !== seq || same(next, current)) return;
    current = next;
    onChange(current);
  };
  // watch first, then read: a change between the two is not missed
  const watcher: Watcher = await store.watch(base, (events) => {
    // members rewrite their keys every loop: only the leader's (or any while none is known) matters
    const relevant = (key: string) => key === patroniKeys.leader || (current ? key === patroniKeys.member(current.member) : key.startsWith(`${base}members/`));
    if (events.some((e) => relevant(e.kv.key))) void refresh();
  });
  await refresh();
  return {
    current: () => current,
    close: () => {
      closed = true;
      clearTimeout(retry);
      watcher.close();
    },
  };
}

/** A failed read of the primary's keys is tried again this soon. */
const REFRESH_RETRY_MS = 250;

export async function readPrimary(store: Store): Promise<DbEndpoint | undefined> {
  const leader = (await store.get(patroniKeys.leader))?.value;
  if (!leader) return undefined;
  const member = await store.get(patroniKeys.member(leader));
  if (!member) return undefined;
  const url = (JSON.parse(member.value) as { conn_url?: string }).conn_url;
  if (!url) return undefined;
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port || 5432), member: leader };
}

function same(a: DbEndpoint | undefined, b: DbEndpoint | undefined): boolean {
  return a?.host === b?.host && a?.port === b?.port && a?.member === b?.member;
}
