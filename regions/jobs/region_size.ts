// The measure job: the size of regions, for the lane's stats report (PD's split and merge
// checkers and its balance schedulers read these). Off the lane because each region measured is
// a count plus a sample of histories (approximateBytes) and a live-key count that walks the span
// when a bound is a long key (countRange), and the lane measures every region written since its
// last report, every stats interval: on a busy lane that is most of its regions at once.

import type { JobAnswers, TabletSpan } from './jobs.js';
import { readTablets } from './tablets.js';

/** The same numbers the lane's MvccStore gives for each span, in the order asked. */
export function measureSpans(path: string, spans: TabletSpan[]): Promise<JobAnswers['measure']> {
  return readTablets(path, spans.map((s) => s.tablet), (tablet) =>
    spans.map(({ tablet: name, start, end }) => {
      const kv = tablet(name);
      return { bytes: kv.approximateBytes(start, end), keys: kv.countRange(start, end) };
    }),
  );
}
