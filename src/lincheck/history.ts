// From a Jepsen-style event log (invoke, then ok / fail / info per process) to operations with
// call and return times, which is what the checker works on.
//
//   line 1  p0 :invoke :write 3          → op 0: write 3, call 0, ret 2, outcome ok
//   line 2  p1 :invoke :cas [3 4]        → op 1: cas [3 4], call 1, ret Infinity, outcome unknown
//   line 3  p0 :ok     :write 3
//   line 4  p2 :invoke :cas [1 2]        → (dropped: the cas failed, so it did not happen)
//   line 5  p2 :fail   :cas [1 2]
//   line 6  p1 :info   :cas :timed-out

import type { EdnValue } from './formats/edn.js';
import { HistoryParseError } from './errors.js';
import { knownOutcome, unknownOutcome, type Operation } from './model.js';

export type EventType = 'invoke' | 'ok' | 'fail' | 'info';

export interface HistoryEvent {
  readonly process: number | string;
  readonly type: EventType;
  /** The function, e.g. `read`, `cas`, `append`. */
  readonly f: string;
  readonly value: EdnValue;
  /** The key, in formats that carry one per event (`:key` in EDN maps). */
  readonly key?: EdnValue;
  /** 1-based line of the input. */
  readonly line: number;
}

/** Turns events into a model's inputs and outputs; throws HistoryParseError on a malformed event. */
export interface EventCodec<Input, Output> {
  input(invoke: HistoryEvent): Input;
  /** The output of a successful (`:ok`) completion of `input`. */
  output(input: Input, ok: HistoryEvent): Output;
}

/**
 * Pairs each invocation with its process's next completion.
 * - `:ok`: completed with the decoded output.
 * - `:fail`: the operation did not take effect, so it is left out (Jepsen's meaning of `:fail`).
 * - `:info`, or no completion at all: unknown outcome, completing at +Infinity.
 * Times are positions in `events`.
 */
export function operationsFromEvents<Input, Output>(
  events: readonly HistoryEvent[],
  codec: EventCodec<Input, Output>,
): Operation<Input, Output>[] {
  interface Pending {
    invoke: HistoryEvent;
    call: number;
    input: Input;
  }
  const pending = new Map<number | string, Pending>();
  const done: { op: Omit<Operation<Input, Output>, 'id'>; order: number }[] = [];

  events.forEach((e, time) => {
    const open = pending.get(e.process);
    if (e.type === 'invoke') {
      if (open !== undefined) {
        throw new HistoryParseError(
          e.line,
          `process ${e.process} invokes :${e.f} while its :${open.invoke.f} from line ${open.invoke.line} has not completed`,
        );
      }
      pending.set(e.process, { invoke: e, call: time, input: codec.input(e) });
      return;
    }
    if (open === undefined) {
      throw new HistoryParseError(e.line, `process ${e.process} completes :${e.f} (:${e.type}) without invoking it`);
    }
    if (open.invoke.f !== e.f) {
      throw new HistoryParseError(
        e.line,
        `process ${e.process} completes :${e.f} but invoked :${open.invoke.f} on line ${open.invoke.line}`,
      );
    }
    pending.delete(e.process);
    const lines = { invoke: open.invoke.line, complete: e.line };
    switch (e.type) {
      case 'ok':
        done.push({
          order: open.call,
          op: { process: e.process, input: open.input, outcome: knownOutcome(codec.output(open.input, e)), call: open.call, ret: time, lines },
        });
        return;
      case 'fail':
        return;
      case 'info':
        done.push({
          order: open.call,
          op: { process: e.process, input: open.input, outcome: unknownOutcome, call: open.call, ret: Infinity, lines },
        });
        return;
    }
  });
  for (const open of pending.values()) {
    done.push({
      order: open.call,
      op: {
        process: open.invoke.process,
        input: open.input,
        outcome: unknownOutcome,
        call: open.call,
        ret: Infinity,
        lines: { invoke: open.invoke.line },
      },
    });
  }
  // Ids in order of invocation, so explanations list operations as they appear in the file.
  done.sort((a, b) => a.order - b.order);
  return done.map((d, id) => ({ id, ...d.op }));
}
