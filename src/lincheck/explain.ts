// Prints a check result as text: the verdict on the first line, then for a violation a short
// account of where the history stops being linearizable.
//
//   not linearizable
//   No order of the operations is consistent with the model up to line 9, where this returned:
//     p2  read → 1                 lines 7–9
//   The history before that point is linearizable; one order for it ends with (state after each):
//     p0  write 1                  lines 1–3     1
//     p1  write 2                  lines 4–6     2
//   Invoked by then but not placed in that order (the state is 2):
//     p2  read → 1                 lines 7–9

import type { CheckResult } from './check.js';
import type { Model, Operation } from './model.js';

const prefixShownMax = 8;
const unplacedShownMax = 16;

export function describeResult<State, Input, Output>(
  model: Model<State, Input, Output>,
  result: CheckResult<State, Input, Output>,
): string {
  switch (result.verdict) {
    case 'linearizable':
      return 'linearizable\n';
    case 'unknown': {
      const n = result.undecided.length;
      const which = result.partitions > 1 ? ` (${n} of ${result.partitions} partitions undecided: ${listNames(result.undecided)})` : '';
      return `unknown\nThe search ran out of time after ${result.timeoutMs / 1000} s${which}.\n`;
    }
    case 'not linearizable':
      return `not linearizable\n${describeViolation(model, result)}`;
  }
}

function describeViolation<State, Input, Output>(
  model: Model<State, Input, Output>,
  result: Extract<CheckResult<State, Input, Output>, { verdict: 'not linearizable' }>,
): string {
  const { stuck, prefix, unplaced, state } = result.violation;
  const where = result.partitions > 1 ? `In ${result.partition}, no` : 'No';
  const out: string[] = [];
  const row = (op: Operation<Input, Output>, after?: State): string => {
    const what = `p${op.process}  ${model.describeOperation(op.input, op.outcome)}`;
    const cells = [`  ${what.padEnd(30)}`, span(op).padEnd(14)];
    if (after !== undefined) cells.push(model.describeState(after));
    return cells.join(' ').trimEnd();
  };

  out.push(`${where} order of the operations is consistent with the model up to ${returnPoint(stuck)}, where this returned:`);
  out.push(row(stuck));
  if (prefix.length === 0) {
    out.push(`Not even a first operation can be placed (the initial state is ${model.describeState(state)}).`);
  } else {
    const hidden = prefix.length - prefixShownMax;
    out.push(
      `The history before that point is linearizable; one order for it ${hidden > 0 ? 'ends with' : 'is'} (state after each):`,
    );
    if (hidden > 0) out.push(`  ... ${hidden} earlier operation${hidden === 1 ? '' : 's'}`);
    for (const p of prefix.slice(Math.max(0, hidden))) out.push(row(p.op, p.stateAfter));
  }
  out.push(`Invoked by then but not placed in that order (the state is ${model.describeState(state)}):`);
  for (const op of unplaced.slice(0, unplacedShownMax)) out.push(row(op));
  if (unplaced.length > unplacedShownMax) out.push(`  ... and ${unplaced.length - unplacedShownMax} more`);
  return out.join('\n') + '\n';
}

function returnPoint(op: Operation<unknown, unknown>): string {
  return op.lines?.complete !== undefined ? `line ${op.lines.complete}` : `time ${op.ret}`;
}

function span(op: Operation<unknown, unknown>): string {
  if (op.lines === undefined) return `t ${op.call}–${op.ret === Infinity ? '∞' : op.ret}`;
  const { invoke, complete } = op.lines;
  if (complete === undefined) return `line ${invoke}–`;
  return `lines ${invoke}–${complete}`;
}

function listNames(names: readonly string[]): string {
  const shown = names.slice(0, 5).join(', ');
  return names.length > 5 ? `${shown}, ...` : shown;
}
