// Which methods the API answers on a path, from the routes as they are registered, so a
// known path asked with another method gets 405 and an Allow header instead of a 404. Only
// the route patterns are matched (never the store), so the answer says nothing about
// whether a named site or release exists.

export class RouteMethods {
  private readonly routes: { method: string; pattern: RegExp }[] = [];

  add(method: string | string[], url: string): void {
    const pattern = new RegExp(`^${url.split('/').map(segment).join('/')}$`);
    for (const m of Array.isArray(method) ? method : [method]) this.routes.push({ method: m.toUpperCase(), pattern });
  }

  /** The methods some route answers on this path (no query string), sorted; empty when none. */
  allowed(path: string): string[] {
    return [...new Set(this.routes.filter((r) => r.pattern.test(path)).map((r) => r.method))].sort();
  }
}

/** A route pattern's segment as a regular expression: `:param` one segment, `*` the rest. */
function segment(part: string): string {
  if (part.startsWith(':')) return '[^/]+';
  if (part === '*') return '.*';
  return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
