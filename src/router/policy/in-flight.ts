// Requests in flight per endpoint, in this router process (least-conn's measure).
export class InFlight {
  readonly #n = new Map<string, number>();

  count(key: string): number {
    return this.#n.get(key) ?? 0;
  }

  add(key: string): void {
    this.#n.set(key, this.count(key) + 1);
  }

  done(key: string): void {
    const n = this.count(key) - 1;
    if (n > 0) this.#n.set(key, n);
    else this.#n.delete(key);
  }
}
