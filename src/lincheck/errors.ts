// Errors a user can cause with a malformed history. Bugs in the checker are assertion failures
// (src/util/assert.ts), never these.

export class HistoryParseError extends Error {
  readonly code = 'FLOTILLA_HISTORY_PARSE';
  /** 1-based line of the input the problem is on. */
  readonly line: number;

  constructor(line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.name = 'HistoryParseError';
    this.line = line;
  }
}
