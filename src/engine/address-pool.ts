// Loopback addresses for virtual servers on the process runtime: 127.77.x.y, one per
// running VS, handed out from a counter that skips addresses in use (its port:
// lib/free-ports.ts freePort on the address).

import { AddressesExhaustedError } from './errors.ts';

export interface AddressPool {
  /** Take the next free address. */
  acquire(): string;
  /** Give an address back. */
  release(address: string): void;
  readonly inUse: ReadonlySet<string>;
}

// 127.77.0.1 … 127.77.255.254, skipping .0 and .255 in the last octet.
const PER_BLOCK = 254;
const SIZE = 256 * PER_BLOCK;

/** start: where the counter begins (0 = 127.77.0.1). */
export function createAddressPool(start = 0): AddressPool {
  const inUse = new Set<string>();
  let next = Math.abs(Math.floor(start)) % SIZE;
  return {
    inUse,
    acquire() {
      for (let i = 0; i < SIZE; i++) {
        const n = (next + i) % SIZE;
        const address = `127.77.${Math.floor(n / PER_BLOCK)}.${(n % PER_BLOCK) + 1}`;
        if (inUse.has(address)) continue;
        inUse.add(address);
        next = (n + 1) % SIZE;
        return address;
      }
      throw new AddressesExhaustedError();
    },
    release(address) {
      inUse.delete(address);
    },
  };
}
