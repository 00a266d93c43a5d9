// Which sites the reconciler's next pass must plan (PlanOptions.only), from the farm
// mirror's change events:
//   site, release, route, scale, unplaced  → that site
//   assignment, VS status                  → its site; a pool's assignment → its customer's sites
//   a pool's status                        → the sites it shows (so its customer); none shown → every site
//   engine, engine drain, database, anything unreadable → every site
// A pass over every site also runs on each tick (timers: drain delays, lost engines,
// spread moves) and after the mirror reads the farm again.

import type { WatchEvent } from '../store/types.ts';
import { keys, type Assignment, type VsStatus } from '../model/index.ts';
import type { PlanOptions } from './plan.ts';

export class DirtySites {
  private sites = new Set<string>();
  private customers = new Set<string>();
  private all = true;

  /** The next pass plans every site. */
  markAll(): void {
    this.all = true;
  }

  note(events: WatchEvent[]): void {
    for (const ev of events) if (!this.all) this.noteOne(ev);
  }

  /** What the next pass plans (undefined: every site); the marks start afresh. */
  take(): PlanOptions['only'] {
    const only = this.all ? undefined : { sites: this.sites, customers: this.customers };
    this.all = false;
    this.sites = new Set();
    this.customers = new Set();
    return only;
  }

  private noteOne(ev: WatchEvent): void {
    const key = ev.kv.key;
    const after = (prefix: string): string => key.slice(prefix.length);
    if (key.startsWith(keys.sites)) this.sites.add(after(keys.sites));
    else if (key.startsWith(keys.routes)) this.sites.add(after(keys.routes));
    else if (key.startsWith(keys.scales)) this.sites.add(after(keys.scales));
    else if (key.startsWith(keys.unplaced)) this.sites.add(after(keys.unplaced));
    else if (key.startsWith(keys.releases)) this.sites.add(after(keys.releases).split('/')[0] as string);
    else if (key.startsWith(keys.assignments)) {
      const a = record<Assignment>(ev);
      if (!a) this.all = true;
      else if (a.pool) this.customers.add(a.customer);
      else this.sites.add(a.site);
    } else if (key.startsWith(keys.vsStatuses)) {
      const st = record<VsStatus>(ev);
      if (!st) this.all = true;
      else if (st.site !== 'pool') this.sites.add(st.site);
      else this.notePool(st, ev);
    } else this.all = true;
  }

  /**
   * A pool's status names no customer, but the sites it shows are its customer's: marking
   * them plans the customer whole (PlanOptions.only). A pool showing none: every site.
   */
  private notePool(st: VsStatus, ev: WatchEvent): void {
    const before = ev.type === 'put' ? parse<VsStatus>(ev.prevKv?.value) : undefined;
    const shown = [...Object.keys(st.sites ?? {}), ...Object.keys(before?.sites ?? {})];
    if (shown.length === 0) this.all = true;
    for (const site of shown) this.sites.add(site);
  }
}

/** The record an event is about: its new value, or for a delete the one it had. */
function record<T>(ev: WatchEvent): T | undefined {
  return parse<T>(ev.type === 'put' ? ev.kv.value : ev.prevKv?.value);
}

function parse<T>(value: string | undefined): T | undefined {
  try {
    return value ? (JSON.parse(value) as T) : undefined;
  } catch {
    return undefined;
  }
}
