// Small formatting helpers shared by the views.

export function bytes(n: number | undefined): string {
  if (n === undefined) return '–';
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function ago(iso: string | undefined): string {
  if (!iso) return '–';
  const s = Math.round((Date.now() - Date.parse(iso)) / 1000);
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.round(s / 60)}m ago`;
  return `${Math.round(s / 3600)}h ago`;
}

export function time(iso: string): string {
  return new Date(iso).toLocaleTimeString();
}

export function stateClass(state: string | undefined): string {
  switch (state) {
    case 'ready': return 'ok';
    case 'queued': case 'starting': case 'stopping': return 'busy';
    case 'crashed': case 'backoff': case 'unhealthy': return 'bad';
    default: return 'idle';
  }
}
