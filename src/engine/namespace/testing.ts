// Test helpers for the namespace runtime: whether this machine can run it (and why
// not), and a private bridge + subnet per runtime so parallel tests never share one.

import type { TestContext } from 'node:test';
import { onCleanup } from '../testing.ts';
import { run } from './host-command.ts';
import { namespaceUnsupported } from './support.ts';

/** Why the namespace runtime's tests cannot run here (the same checks `corral up` makes), or false when they can. */
export async function namespaceSkip(): Promise<string | false> {
  const reason = await namespaceUnsupported();
  return reason ? `namespace runtime unavailable: ${reason}` : false;
}

/** A fresh bridge `ctN` with subnet 10.214.N.0/24, claimed by creating it (ip refuses a duplicate), removed after the test. */
export async function testNetwork(t: TestContext): Promise<{ bridge: string; subnet: string }> {
  for (let i = 0; i < 50; i++) {
    const n = 1 + Math.floor(Math.random() * 254);
    const bridge = `ct${n}`;
    if ((await run('ip', ['link', 'add', 'name', bridge, 'type', 'bridge'], { allowFail: true })).code !== 0) continue;
    onCleanup(t, () => run('ip', ['link', 'del', bridge], { allowFail: true }));
    return { bridge, subnet: `10.214.${n}.0/24` };
  }
  throw new Error('no free test bridge');
}
