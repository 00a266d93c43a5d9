// The engine's guest subnet (IPv4 CIDR): the bridge takes the first host address,
// guests the rest, handed out and given back by a small pool.

import { AddressesExhaustedError, InvalidSubnetError } from '../errors.ts';

export interface Subnet {
  cidr: string;
  prefix: number;
  /** The bridge's (engine side) address. */
  gateway: string;
  /** A free guest address; throws ENGINE_ADDRESSES_EXHAUSTED when none is left. */
  acquire(): string;
  release(address: string): void;
}

export function parseSubnet(cidr: string): Subnet {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  const octets = m ? m.slice(1, 5).map(Number) : [];
  const prefix = m ? Number(m[5]) : NaN;
  if (!m || octets.some((o) => o > 255) || prefix < 8 || prefix > 29) throw new InvalidSubnetError(cidr);
  const size = 2 ** (32 - prefix);
  const base = octets.reduce((a, o) => a * 256 + o, 0);
  if (base % size !== 0) throw new InvalidSubnetError(cidr);
  const used = new Set<number>();
  let next = 2;
  const ip = (i: number) => [24, 16, 8, 0].map((s) => Math.floor((base + i) / 2 ** s) % 256).join('.');
  return {
    cidr,
    prefix,
    gateway: ip(1),
    acquire() {
      for (let n = 0; n < size - 3; n++) {
        const i = 2 + ((next - 2 + n) % (size - 3));
        if (!used.has(i)) {
          used.add(i);
          next = i + 1;
          return ip(i);
        }
      }
      throw new AddressesExhaustedError(cidr);
    },
    release(address) {
      const n = address.split('.').map(Number).reduce((a, o) => a * 256 + o, 0) - base;
      used.delete(n);
    },
  };
}
