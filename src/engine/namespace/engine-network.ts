// Which bridge and subnet an engine's guests use. Chosen once per engine directory and
// kept in `<engine dir>/network.json`, so a restarted engine reaps and reuses its own;
// a new engine takes `cr<hash of its dir>` and the first 10.213.X.0/24 (X from the same
// hash) that no interface on this machine holds yet — several farms on one machine
// (tests) never share a bridge or a subnet.

import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { run } from './host-command.ts';

export interface EngineNetwork {
  bridge: string;
  subnet: string;
}

export async function engineNetwork(engineDir: string, want: Partial<EngineNetwork> = {}): Promise<EngineNetwork> {
  const file = path.join(engineDir, 'network.json');
  const saved = await readFile(file, 'utf8').then((t) => JSON.parse(t) as EngineNetwork, () => undefined);
  if (saved && (!want.bridge || want.bridge === saved.bridge) && (!want.subnet || want.subnet === saved.subnet)) return saved;
  const hash = createHash('sha256').update(path.resolve(engineDir)).digest();
  const bridge = want.bridge ?? `cr${hash.toString('hex').slice(0, 8)}`;
  const subnet = want.subnet ?? (await freeSubnet(hash[0]!));
  await mkdir(engineDir, { recursive: true });
  await writeFile(file, JSON.stringify({ bridge, subnet }) + '\n');
  return { bridge, subnet };
}

async function freeSubnet(start: number): Promise<string> {
  const held = (await run('ip', ['-o', '-4', 'addr', 'show'], { allowFail: true })).stdout;
  for (let i = 0; i < 256; i++) {
    const x = (start + i) % 256;
    if (!held.includes(` 10.213.${x}.1/`)) return `10.213.${x}.0/24`;
  }
  return '10.213.0.0/24';
}
