// Assertions state what must be true. A failed assertion is a bug in Flotilla, never an error
// to handle: it throws an AssertionFailure so tests and the simulator stop at the first breach.

export class AssertionFailure extends Error {
  readonly code = 'FLOTILLA_ASSERTION';
  constructor(message: string) {
    super(message);
    this.name = 'AssertionFailure';
  }
}

export function assert(cond: unknown, message = 'assertion failed'): asserts cond {
  if (!cond) throw new AssertionFailure(message);
}

export function assertNever(x: never, what = 'value'): never {
  throw new AssertionFailure(`unexpected ${what}: ${JSON.stringify(x)}`);
}
