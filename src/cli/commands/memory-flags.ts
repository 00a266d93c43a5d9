// --reserved-memory and --memory-overcommit for `corral up` and `corral engine`: how much of
// this machine's memory the scheduler may promise its guests. Each guest reserves its memory
// limit; the engine offers (memory − reserved) × overcommit (src/model vs-memory.ts). The
// engine records both in its capacity, so the farm's controllers place by them.
import { totalmem } from 'node:os';
import type { Command } from 'commander';
import { DEFAULT_MEMORY_OVERCOMMIT, MAX_MEMORY_OVERCOMMIT, MIN_MEMORY_OVERCOMMIT, defaultReservedMemoryMb } from '../../model/vs-memory.ts';
import { CliError } from '../errors.ts';
import { decimal, wholeNumber } from './numbers.ts';

export interface MemoryFlags {
  reservedMemory?: string;
  memoryOvercommit?: string;
}

export function addMemoryFlags(command: Command): Command {
  const mb = machineMemoryMb();
  return command
    .option('--reserved-memory <MiB>', `memory kept for this host (its OS, Corral itself), never promised to virtual servers (default: 25% of the first 4 GiB, 20% of the next 4, 10% of the next 8, 6% of the next 112, 2% above; ${defaultReservedMemoryMb(mb)} of this machine's ${mb} MiB)`)
    .option('--memory-overcommit <ratio>', `how far the virtual servers' memory limits may add up beyond the memory left for them, ${MIN_MEMORY_OVERCOMMIT}–${MAX_MEMORY_OVERCOMMIT} (1: never beyond; limits are ceilings most guests stay far below; beyond it, new ones wait unplaced) (default: ${DEFAULT_MEMORY_OVERCOMMIT})`);
}

/** The flags given, as the engine's capacity fields; the engine fills in the defaults of those not given. */
export function memoryCapacity(o: MemoryFlags): { reservedMemoryMb?: number; memoryOvercommit?: number } {
  const mb = machineMemoryMb();
  const out: { reservedMemoryMb?: number; memoryOvercommit?: number } = {};
  if (o.reservedMemory !== undefined) {
    out.reservedMemoryMb = wholeNumber(o.reservedMemory, '--reserved-memory', { min: 0, max: mb - 1, expected: `a number of MiB from 0 to ${mb - 1} (this machine has ${mb} MiB)` });
  }
  if (o.memoryOvercommit !== undefined) {
    const ratio = decimal(o.memoryOvercommit);
    if (!(ratio >= MIN_MEMORY_OVERCOMMIT && ratio <= MAX_MEMORY_OVERCOMMIT)) {
      throw new CliError(`--memory-overcommit must be a number from ${MIN_MEMORY_OVERCOMMIT} to ${MAX_MEMORY_OVERCOMMIT}, got "${o.memoryOvercommit}"`);
    }
    out.memoryOvercommit = ratio;
  }
  return out;
}

/** This machine's memory as the engine records it (src/engine agent.ts), MiB. */
function machineMemoryMb(): number {
  return Math.floor(totalmem() / 2 ** 20);
}
