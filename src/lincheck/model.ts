// The contract between the checker and a sequential specification. A model is a plain object;
// the checker never looks inside states, inputs or outputs, it only calls these functions.

/**
 * What a client saw when its operation completed. `known: false` is Jepsen's `:info` (or an
 * invoke that never completed): the operation may or may not have taken effect, with any output
 * it could have produced.
 */
export type Outcome<Output> = { readonly known: true; readonly value: Output } | { readonly known: false };

export const unknownOutcome: Outcome<never> = Object.freeze({ known: false });

export function knownOutcome<Output>(value: Output): Outcome<Output> {
  return { known: true, value };
}

/**
 * One operation of a history: invoked at `call`, completed at `ret` (call < ret). Times are any
 * increasing numbers (event positions, line numbers, nanoseconds); only their order matters. An
 * operation with an unknown outcome completes at +Infinity: it may be placed anywhere after it
 * was invoked, including after everything else, which is the same as never having happened.
 */
export interface Operation<Input, Output> {
  /** Unique within the history; the checker reports operations by this id. */
  readonly id: number;
  /** The client that issued it, for explanations only. */
  readonly process: number | string;
  readonly input: Input;
  readonly outcome: Outcome<Output>;
  readonly call: number;
  readonly ret: number;
  /** Where the operation came from (1-based line numbers of its invocation and completion). */
  readonly lines?: { readonly invoke: number; readonly complete?: number };
}

/** A sub-history that can be checked on its own (P-compositionality). */
export interface Partition<Input, Output> {
  /** Names the partition in explanations, e.g. `key "3"`. */
  readonly name: string;
  readonly ops: readonly Operation<Input, Output>[];
}

/**
 * A sequential specification. Deterministic models return at most one next state from `step`;
 * nondeterministic ones may return several and the checker tries each.
 *
 * Contract:
 * - `step` is pure: it never mutates `state` and returns fresh or shared-immutable states.
 * - `equal(a, b)` implies `hash(a) === hash(b)`; `hash` returns a 32-bit integer.
 * - `partition`, when present, must only split the history into parts whose operations never
 *   affect one another (for a map: different keys). A history is linearizable iff every part is.
 *   Without it the whole history is one part, which is what a model of multi-key transactions needs.
 */
export interface Model<State, Input, Output> {
  readonly name: string;
  init(): State;
  /**
   * The states that `input` can leave behind when applied to `state` and answered with `outcome`.
   * Empty when that answer is impossible in `state` (e.g. a read returning a value other than the
   * register's). For an unknown outcome, every state some answer could leave behind.
   */
  step(state: State, input: Input, outcome: Outcome<Output>): readonly State[];
  equal(a: State, b: State): boolean;
  hash(state: State): number;
  /**
   * True when `input` never changes the state (a read). Such an operation with an unknown
   * outcome constrains nothing and is dropped before the search.
   */
  isReadOnly(input: Input): boolean;
  partition?(ops: readonly Operation<Input, Output>[]): Partition<Input, Output>[];
  describeOperation(input: Input, outcome: Outcome<Output>): string;
  describeState(state: State): string;
}
