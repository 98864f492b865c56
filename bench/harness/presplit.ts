// Pre-splitting a range-mode target into K regions before a run (`--regions K`), so that the
// workloads meet the region layout they are meant to measure rather than one region that PD
// has not split yet.
//
// The K - 1 split keys are shared equally by the key spaces the run reads (larger shares
// first), and each space's share is spread evenly over its keys. Worked example, 100,000 keys,
// the 10,000 prefix-scan keys, K = 8:
//
//   bench/k/    4 splits at keys 20,000 40,000 60,000 80,000    (5 pieces)
//   bench/scan/ 3 splits at keys  2,500  5,000  7,500          (4 pieces)
//
//   regions: [-, k/20000) [k/20000, k/40000) ... [k/80000, scan/2500) ... [scan/7500, +)
//
// so a point read or a write picks one of 5 regions, and a prefix scan reads 4 regions and merges
// them, as a hash-sharded scan would ask every group. Without prefix-scan, bench/k/ gets all
// K - 1 splits. Keys outside the spaces (bench/hot, bench/seq/, bench/cas/) fall in the first or
// last region.
//
// Hash mode does not split: PD creates the slot groups at bootstrap (--regions K is its
// --hash-groups K), so `prepareRegions` only spreads the leaders, reads the slot table the
// preloads group their transactions by, and counts the groups each key space's keys fall in.

import type { Target } from './targets.js';
import { groupsSpanned, regionsSpanned, slotGroupTable, type RegionLayout } from './sharded.js';
import { prefixEnd } from './keys.js';

/** Keys `keyAt(0)` .. `keyAt(count - 1)`, ascending, all under `prefix`. */
export interface KeySpace {
  readonly name: string;
  readonly prefix: Buffer;
  readonly count: number;
  keyAt(i: number): Buffer;
}

/** What the report shows of a sharded target's regions in one group. */
export interface RegionSetup {
  stores: number;
  replicas: number;
  /** Regions asked for with --regions (1: no pre-split); hash mode: the slot groups PD was started with. */
  regionsAsked: number;
  /** 'hash': slot groups made by PD at bootstrap, no splits (absent: range mode). */
  mode?: 'range' | 'hash';
  splitKeys: string[];
  /** After the pre-split and the leader moves, before any load. */
  before: RegionLayout;
  /** At the end of the group's last case. */
  after?: RegionLayout;
  /** Leader moves that had not finished when the run started (0: all done). */
  leadersNotMoved: number;
  /** How many regions each key space spans. */
  spans: { space: string; regions: number }[];
  /** Seconds the pre-split and leader moves took. */
  setupS: number;
}

/** The split keys for `regions` regions over `spaces` (see the worked example above). */
export function planSplitKeys(spaces: readonly KeySpace[], regions: number): Buffer[] {
  const splits = regions - 1;
  if (splits <= 0 || spaces.length === 0) return [];
  const out: Buffer[] = [];
  spaces.forEach((space, si) => {
    const share = Math.floor(splits / spaces.length) + (si < splits % spaces.length ? 1 : 0);
    // Piece boundaries at floor(j * count / (share + 1)), j = 1 .. share; skip repeats (tiny spaces).
    let last = 0;
    for (let j = 1; j <= share; j++) {
      const i = Math.floor((j * space.count) / (share + 1));
      if (i > last && i < space.count) out.push(space.keyAt(i));
      last = i;
    }
  });
  return out.sort(Buffer.compare);
}

/**
 * Splits the target's key space at `splitKeys`, waits until every region has a leader, and,
 * with `spreadLeaders`, moves leaders so that every store leads its share of regions.
 */
export async function prepareRegions(t: Target, spaces: readonly KeySpace[], regionsAsked: number, spreadLeaders: boolean): Promise<RegionSetup> {
  const c = t.sharded;
  if (!c) throw new Error(`${t.label} has no regions to split`);
  const t0 = performance.now();
  if (c.mode === 'hash') {
    const leadersNotMoved = spreadLeaders ? await c.spreadLeaders() : 0;
    const before = await c.layout();
    const table = slotGroupTable(await c.regions());
    t.state.slotGroups = table;
    const keysOf = function* (s: KeySpace) {
      for (let i = 0; i < s.count; i++) yield s.keyAt(i);
    };
    return {
      stores: c.stores,
      replicas: c.replicas,
      regionsAsked: c.hashGroups,
      mode: 'hash',
      splitKeys: [],
      before,
      leadersNotMoved,
      spans: spaces.map((s) => ({ space: s.prefix.toString('latin1'), regions: groupsSpanned(table, keysOf(s)) })),
      setupS: (performance.now() - t0) / 1000,
    };
  }
  const splitKeys = planSplitKeys(spaces, regionsAsked);
  await c.split(splitKeys);
  const leadersNotMoved = spreadLeaders ? await c.spreadLeaders() : 0;
  const before = await c.layout();
  const regions = await c.regions();
  return {
    stores: c.stores,
    replicas: c.replicas,
    regionsAsked,
    splitKeys: splitKeys.map((k) => k.toString('latin1')),
    before,
    leadersNotMoved,
    spans: spaces.map((s) => ({ space: s.prefix.toString('latin1'), regions: regionsSpanned(regions, s.prefix, prefixEnd(s.prefix)) })),
    setupS: (performance.now() - t0) / 1000,
  };
}

/** One line on a range-mode target's regions: "8 regions (bench/k/ spans 5, bench/scan/ spans 4), 3 replicas on 3 stores, leaders per store 3/3/2, ...". */
export function regionLine(r: RegionSetup): string {
  const leaders = Object.values(r.before.leadersPerStore).join('/');
  const spans = r.spans.map((x) => `${x.space} spans ${x.regions}`).join(', ');
  const what = r.mode === 'hash' ? 'slot group' : 'region';
  return `${r.before.regions} ${what}${r.before.regions === 1 ? '' : 's'} (${spans}), ${r.replicas} replicas on ${r.stores} stores, leaders per store ${leaders}${r.leadersNotMoved > 0 ? ` (${r.leadersNotMoved} leader moves unfinished)` : ''}, set up in ${r.setupS.toFixed(1)} s`;
}
