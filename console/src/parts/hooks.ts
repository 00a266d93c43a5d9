// Live updates: polling (most views re-read the API on an interval) and server-sent
// events (useStream: the farm view, GET /v1/status/stream).
import { useEffect, useRef, useState } from 'react';

export interface Polled<T> {
  data: T | undefined;
  error: string | undefined;
  refresh(): void;
}

export function usePoll<T>(load: (signal: AbortSignal) => Promise<T>, intervalMs: number, deps: unknown[]): Polled<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string>();
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    const ctl = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      try {
        const v = await loadRef.current(ctl.signal);
        if (ctl.signal.aborted) return;
        setData(v);
        setError(undefined);
      } catch (err) {
        if (!ctl.signal.aborted) setError((err as Error).message);
      }
      if (!ctl.signal.aborted) timer = setTimeout(run, intervalMs);
    };
    void run();
    return () => {
      ctl.abort();
      if (timer) clearTimeout(timer);
    };
  }, [...deps, tick, intervalMs]);
  return { data, error, refresh: () => setTick((n) => n + 1) };
}

/**
 * The latest event of a server-sent events stream (api.ts stream). A stream that fails or
 * ends is opened again after retryMs, keeping the last data shown meanwhile.
 */
export function useStream<T>(open: (onEvent: (data: T) => void, signal: AbortSignal) => Promise<void>, retryMs: number, deps: unknown[]): Omit<Polled<T>, 'refresh'> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string>();
  const openRef = useRef(open);
  openRef.current = open;
  useEffect(() => {
    const ctl = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      try {
        await openRef.current((v) => {
          setData(v);
          setError(undefined);
        }, ctl.signal);
      } catch (err) {
        if (!ctl.signal.aborted) setError((err as Error).message);
      }
      if (!ctl.signal.aborted) timer = setTimeout(run, retryMs);
    };
    void run();
    return () => {
      ctl.abort();
      if (timer) clearTimeout(timer);
    };
  }, [...deps, retryMs]);
  return { data, error };
}
