// `corral logs` on a farm on etcd: the controller's EngineLogs (controller/options.ts) over
// the engines' APIs (engine-api.ts), each VS read from its own engine (engine-directory.ts),
// so the logs route works as on one machine. An engine that is down, unregistered or slow
// costs only its own VSs' lines: each gets one line saying so instead (`corral: …`), the
// other engines' lines still come, and no call waits past `timeoutMs`. A followed VS whose
// engine is lost says so once and is followed again when its engine answers (from then on:
// lines written meanwhile are not replayed).

import type { EngineLogs, VsLogInfo } from '../controller/index.ts';
import type { Logger } from '../lib/log.ts';
import type { EngineDirectory } from './engine-directory.ts';
import { ClusterError, nodeRefusal, nodeUnreachable } from './errors.ts';
import { askNode, FOLLOW_IDLE_MS, missingLine, streamLines } from './node-follow.ts';

export interface RemoteEngineLogsOptions {
  /** Where VSs and engines are found (engineDirectory over the farm's store). */
  directory: EngineDirectory;
  /** The farm's admin token: what the engines' APIs accept from controllers (node-api-auth.ts). */
  token: string;
  log: Logger;
  /** Longest wait for an engine's answer (a tail, a list, the start of a follow); default 5 s. */
  timeoutMs?: number;
  /** A followed log silent this long (no line, no heartbeat) is taken as lost; default 3 engine heartbeats. */
  idleMs?: number;
  /** A lost follow is tried again after this long; default 2 s. */
  retryMs?: number;
}

const DEFAULT_TIMEOUT_MS = 5_000;

export function remoteEngineLogs(o: RemoteEngineLogsOptions): EngineLogs {
  const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const auth = { authorization: `Bearer ${o.token}` };
  const { directory } = o;

  /** GET a JSON answer from the engine's API; a failure to answer marks it failing for a while. */
  const ask = async <T>(engine: string, path: string): Promise<T> => {
    const base = await directory.apiUrlOf(engine);
    return askNode<T>('engine', engine, `${base}${path}`, { timeoutMs, headers: auth }, (lost) => directory.failed(engine, lost));
  };

  return {
    async listVsLogs(site) {
      const engines = await directory.engines();
      const lists = await Promise.all(engines.map(async ({ id }) => {
        try {
          const { logs } = await ask<{ logs: VsLogInfo[] }>(id, `/v1/logs${site !== undefined ? `?site=${encodeURIComponent(site)}` : ''}`);
          for (const l of logs) directory.remember(l.vs, id);
          return logs;
        } catch (err) {
          // its current VSs' tails say so, one line each; the retired ones it keeps are left out
          o.log.warn({ event: 'logs.engine_unreachable', engine: id, err }, `the logs kept on engine ${id} could not be listed`);
          return [];
        }
      }));
      return lists.flat().sort((a, b) => (a.vs < b.vs ? -1 : a.vs > b.vs ? 1 : 0));
    },

    async tail(vs, lines) {
      const engine = await directory.engineOf(vs);
      if (engine === undefined) return [];
      try {
        return (await ask<{ lines: string[] }>(engine, `/v1/vs/${encodeURIComponent(vs)}/logs?tail=${lines}`)).lines;
      } catch (err) {
        return [missingLine(err)];
      }
    },

    follow(vs, onLine, how = {}) {
      let stopped = false;
      let close: (() => void) | undefined;
      let timer: NodeJS.Timeout | undefined;
      let lost = false;
      const idleMs = o.idleMs ?? FOLLOW_IDLE_MS;
      const again = () => {
        if (!stopped) timer = setTimeout(() => void open(false), o.retryMs ?? 2_000);
      };
      const lose = (err: unknown) => {
        close?.();
        close = undefined;
        if (stopped) return;
        if (!lost) onLine(`${missingLine(err)}; following again once it answers`);
        lost = true;
        again();
      };
      const open = async (fromStart: boolean) => {
        const engine = await directory.engineOf(vs).catch(() => undefined);
        if (stopped) return;
        if (engine === undefined) return again(); // not in the store yet: a VS starting
        let base: string;
        try {
          base = await directory.apiUrlOf(engine);
        } catch (err) {
          return lose(err);
        }
        if (stopped) return;
        const url = `${base}/v1/vs/${encodeURIComponent(vs)}/logs?follow=true${fromStart ? '&fromStart=true' : ''}`;
        close = streamLines(url, auth, { timeoutMs, idleMs }, {
          onOpen: () => {
            if (lost) onLine(`corral: engine ${engine} answers again: following ${vs} from now`);
            lost = false;
          },
          onLine,
          onEnd: (err) => {
            const failure = err instanceof ClusterError ? err : nodeUnreachable('engine', engine, `${base}: ${err.message}`);
            if (failure.code === 'CLUSTER_ENGINE_UNREACHABLE') directory.failed(engine, failure);
            lose(failure);
          },
          refused: (status, json) => nodeRefusal('engine', engine, status, json),
        });
      };
      void open(how.fromStart === true);
      return () => {
        stopped = true;
        clearTimeout(timer);
        close?.();
      };
    },
  };
}

