// `corral logs --source router|all` on a farm on etcd: the controller's RouterLogs
// (controller/options.ts) over the router nodes' APIs (router-api.ts). Every router node
// registered now (keys.routers, its record's apiUrl) is asked for the site's lines, all at
// once, and their lines are merged by time, so the logs route works as on one machine
// (where RouterLogs reads the router's folder itself, router-logs.ts). A router node that is
// down, slow or names no API costs only its own lines: it gets one line saying so instead
// (`corral: router r2 could not be reached (…): its lines are missing here`), stamped with
// the time it was found missing, within `timeoutMs`, while the others' lines still come.
// A follow looks for router nodes every `rescanMs`: one that joins later is followed from
// when it is seen, and one that is lost says so once and is followed again (from then on)
// when it answers. A router node whose registration has lapsed (stopped, or down longer
// than its lease) is no longer part of the farm: its lines, kept on its host, are not read.

import type { RouterLogs } from '../controller/index.ts';
import type { Logger } from '../lib/log.ts';
import { lastByTime, stampLine } from '../lib/stamped-line.ts';
import { byText } from '../lib/text-order.ts';
import { keys, type RouterRecord } from '../model/index.ts';
import type { Store } from '../store/index.ts';
import { ClusterError, nodeRefusal, nodeUnreachable } from './errors.ts';
import { askNode, FOLLOW_IDLE_MS, missingLine, streamLines } from './node-follow.ts';

export interface RemoteRouterLogsOptions {
  store: Store;
  /** The farm's admin token: what the router nodes' APIs accept from controllers (node-api-auth.ts). */
  token: string;
  log: Logger;
  /** Longest wait for a router node's answer (a tail, the start of a follow); default 5 s. */
  timeoutMs?: number;
  /** A followed log silent this long (no line, no heartbeat) is taken as lost; default 3 heartbeats. */
  idleMs?: number;
  /** How often a follow looks for router nodes that joined; default 1 s. */
  rescanMs?: number;
  /** A lost router node is tried again after this long; default 2 s. */
  retryMs?: number;
}

const DEFAULT_TIMEOUT_MS = 5_000;

export function remoteRouterLogs(o: RemoteRouterLogsOptions): RouterLogs {
  const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const auth = { authorization: `Bearer ${o.token}` };
  const routers = async (): Promise<RouterRecord[]> =>
    (await o.store.range(keys.routers)).kvs.map((kv) => JSON.parse(kv.value) as RouterRecord).sort((a, b) => byText(a.id, b.id));
  const logsUrl = (apiUrl: string, site: string, query: string) => `${apiUrl}/v1/sites/${encodeURIComponent(site)}/logs?${query}`;

  return {
    async tail(siteKey, lines) {
      const each = await Promise.all((await routers()).map(async (r): Promise<{ lines: string[] } | { missing: string }> => {
        if (!r.apiUrl) return { missing: noApiLine(r.id) };
        try {
          return await askNode<{ lines: string[] }>('router', r.id, logsUrl(r.apiUrl, siteKey, `tail=${lines}`), { timeoutMs, headers: auth });
        } catch (err) {
          o.log.warn({ event: 'logs.router_unreachable', router: r.id, err }, `the access lines kept on router ${r.id} could not be read`);
          return { missing: missingLine(err) };
        }
      }));
      const merged = lastByTime(each.flatMap((e) => ('lines' in e ? e.lines : [])), lines);
      // a line for each router node that could not give its own, stamped now: after the lines, never the ones a tail cuts
      return [...merged, ...each.flatMap((e) => ('missing' in e ? [stampLine(e.missing)] : []))];
    },

    follow(siteKey, onLine) {
      const nodes = new Map<string, { close?: () => void; lost: boolean; retryAt: number }>();
      let stopped = false;
      let scanning = false;
      const say = (text: string) => {
        if (!stopped) onLine(stampLine(text));
      };
      const open = (r: RouterRecord) => {
        let n = nodes.get(r.id);
        if (!n) nodes.set(r.id, (n = { lost: false, retryAt: 0 }));
        const node = n;
        if (!r.apiUrl) {
          if (!node.lost) say(noApiLine(r.id));
          node.lost = true;
          return;
        }
        const base = r.apiUrl;
        node.close = streamLines(logsUrl(base, siteKey, 'follow=true'), auth, { timeoutMs, idleMs: o.idleMs ?? FOLLOW_IDLE_MS }, {
          onOpen: () => {
            if (node.lost) say(`corral: router ${r.id} answers again: following its lines from now`);
            node.lost = false;
          },
          onLine: (line) => {
            if (!stopped) onLine(line);
          },
          onEnd: (err) => {
            node.close = undefined;
            node.retryAt = Date.now() + (o.retryMs ?? 2_000);
            const failure = err instanceof ClusterError ? err : nodeUnreachable('router', r.id, `${base}: ${err.message}`);
            if (!node.lost) say(`${missingLine(failure)}; following again once it answers`);
            node.lost = true;
          },
          refused: (status, json) => nodeRefusal('router', r.id, status, json),
        });
      };
      // the router nodes registered now: each one not followed (new, or lost a while ago) is opened
      const scan = async () => {
        if (scanning || stopped) return;
        scanning = true;
        try {
          for (const r of await routers()) {
            const n = nodes.get(r.id);
            if (!stopped && (!n || (!n.close && n.retryAt <= Date.now()))) open(r);
          }
        } catch (err) {
          o.log.warn({ event: 'logs.routers_unlisted', err }, 'the router nodes could not be listed');
        } finally {
          scanning = false;
        }
      };
      void scan();
      const timer = setInterval(() => void scan(), o.rescanMs ?? 1_000);
      return () => {
        stopped = true;
        clearInterval(timer);
        for (const n of nodes.values()) n.close?.();
      };
    },
  };
}

/** The line of a router node whose record names no API. */
function noApiLine(id: string): string {
  return `corral: router ${id} keeps no access lines this controller can read (its record names no router API: started without a folder, or an older version): its lines are missing here`;
}
