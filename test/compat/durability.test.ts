// Durability: a member SIGKILLed in the middle of a write loop restarts with every write it
// acknowledged. Clients write unique keys through the JSON gateway; a write counts as
// acknowledged once its HTTP response arrived. After the kill and a restart, every acknowledged
// key must be there with its value (writes in flight at the kill may or may not be).

import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { startFlotilla, type Cluster } from '../support/servers.js';

const clients = 16;
const killAfterAcks = 1500;

let cluster: Cluster | undefined;
after(async () => {
  await cluster?.stop();
});

const b64 = (s: string): string => Buffer.from(s).toString('base64');

async function post(url: string, path: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${url}${path}`, { method: 'POST', body: JSON.stringify(body) });
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  return (await res.json()) as Record<string, unknown>;
}

for (const members of [1, 3] as const) {
  test(`a ${members}-member cluster keeps every acknowledged write across a SIGKILL of ${members === 1 ? 'its member' : 'the leader'}`, async () => {
    cluster = await startFlotilla({ members });
    const c = cluster;
    // Find the leader: the member whose status names itself as leader.
    let victim = 0;
    for (let i = 0; i < members; i++) {
      const st = await post(c.clientUrls[i]!, '/v3/maintenance/status', {});
      if ((st.leader as string) === ((st.header as Record<string, string>).member_id)) victim = i;
    }
    const acked = new Map<string, string>();
    let stop = false;
    let killed = false;
    const writer = async (w: number): Promise<void> => {
      // Writers use every member except the victim once it is gone.
      for (let n = 0; !stop; n++) {
        const target = members === 1 ? 0 : (w + n) % members;
        if (killed && members === 1) return;
        if (killed && target === victim) continue;
        const key = `w${w}/k${n}`;
        const value = `v${w}-${n}`;
        try {
          await post(c.clientUrls[target]!, '/v3/kv/put', { key: b64(key), value: b64(value) });
          acked.set(key, value);
        } catch {
          // Unacknowledged: it may or may not have happened.
        }
        if (!killed && acked.size >= killAfterAcks) {
          killed = true;
          await c.kill(victim, 'SIGKILL');
          if (members === 1) stop = true;
        }
        if (members === 3 && killed && acked.size >= killAfterAcks * 2) stop = true;
      }
    };
    await Promise.all(Array.from({ length: clients }, (_, w) => writer(w)));
    assert.ok(killed, 'the member was never killed');
    await c.restart(victim);
    // Read everything back from the restarted member (linearizable range: it has caught up).
    const res = await post(c.clientUrls[victim]!, '/v3/kv/range', { key: b64('w'), range_end: b64('x') });
    const kvs = (res.kvs as Array<{ key: string; value: string }> | undefined) ?? [];
    const stored = new Map(kvs.map((kv) => [Buffer.from(kv.key, 'base64').toString(), Buffer.from(kv.value, 'base64').toString()]));
    const lost = [...acked].filter(([k, v]) => stored.get(k) !== v);
    assert.deepEqual(lost.slice(0, 10), [], `${lost.length} of ${acked.size} acknowledged writes lost`);
    process.stdout.write(`# durability (${members} member${members > 1 ? 's' : ''}): ${acked.size} acknowledged writes, ${stored.size} keys after restart, 0 lost\n`);
    await c.stop();
    cluster = undefined;
  });
}
