// A reader for the subset of EDN that Jepsen histories use: nil, booleans, integers, strings,
// keywords, vectors, lists and maps. Commas are whitespace, as in Clojure.
//
//   readEdn('{:process 0, :type :ok, :f :cas, :value [3 0]}')
//   → Map { kw('process') → 0, kw('type') → kw('ok'), kw('f') → kw('cas'), kw('value') → [3, 0] }

/** A keyword such as `:ok`. Interned: `keyword('ok') === keyword('ok')`, so maps can be keyed by it. */
export class Keyword {
  private static readonly interned = new Map<string, Keyword>();

  private constructor(readonly name: string) {}

  static of(name: string): Keyword {
    let k = Keyword.interned.get(name);
    if (k === undefined) {
      k = new Keyword(name);
      Keyword.interned.set(name, k);
    }
    return k;
  }

  toString(): string {
    return `:${this.name}`;
  }
}

export function keyword(name: string): Keyword {
  return Keyword.of(name);
}

export type EdnValue = null | boolean | number | string | Keyword | EdnValue[] | EdnMap;
export type EdnMap = Map<EdnValue, EdnValue>;

/** Thrown with the 0-based column of the problem; callers add the line. */
export class EdnSyntaxError extends Error {
  readonly code = 'FLOTILLA_EDN_SYNTAX';
  constructor(
    readonly column: number,
    message: string,
  ) {
    super(message);
    this.name = 'EdnSyntaxError';
  }
}

/** Reads exactly one value from `text` (surrounding whitespace allowed). */
export function readEdn(text: string): EdnValue {
  const r = new Reader(text);
  const v = r.value();
  r.skipSpace();
  if (r.pos < text.length) r.fail(`unexpected '${text[r.pos]}' after the value`);
  return v;
}

/** Prints a value back in EDN syntax, for messages. */
export function printEdn(v: EdnValue): string {
  if (v === null) return 'nil';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v instanceof Keyword) return v.toString();
  if (Array.isArray(v)) return `[${v.map(printEdn).join(' ')}]`;
  return `{${[...v].map(([k, x]) => `${printEdn(k)} ${printEdn(x)}`).join(', ')}}`;
}

const delimiters = new Set([' ', '\t', '\r', '\n', ',', '[', ']', '(', ')', '{', '}', '"']);

class Reader {
  pos = 0;
  constructor(private readonly text: string) {}

  fail(message: string): never {
    throw new EdnSyntaxError(this.pos, message);
  }

  skipSpace(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t[this.pos]!;
      if (c === ' ' || c === '\t' || c === '\r' || c === '\n' || c === ',') this.pos++;
      else if (c === ';') {
        while (this.pos < t.length && t[this.pos] !== '\n') this.pos++;
      } else break;
    }
  }

  value(): EdnValue {
    this.skipSpace();
    if (this.pos >= this.text.length) this.fail('expected a value, found the end of the input');
    const c = this.text[this.pos]!;
    switch (c) {
      case '"':
        return this.string();
      case '[':
        return this.sequence(']');
      case '(':
        return this.sequence(')');
      case '{':
        return this.map();
      case ':':
        this.pos++;
        return keyword(this.token('keyword'));
      case ']':
      case ')':
      case '}':
        return this.fail(`unexpected '${c}'`);
      default:
        return this.atom();
    }
  }

  private token(what: string): string {
    const start = this.pos;
    while (this.pos < this.text.length && !delimiters.has(this.text[this.pos]!)) this.pos++;
    if (this.pos === start) this.fail(`expected a ${what}`);
    return this.text.slice(start, this.pos);
  }

  private atom(): EdnValue {
    const start = this.pos;
    const tok = this.token('value');
    if (tok === 'nil') return null;
    if (tok === 'true') return true;
    if (tok === 'false') return false;
    if (/^[+-]?\d+N?$/.test(tok)) {
      const n = Number(tok.endsWith('N') ? tok.slice(0, -1) : tok);
      if (!Number.isSafeInteger(n)) {
        this.pos = start;
        this.fail(`integer ${tok} is too large (the limit is 2^53 - 1)`);
      }
      return n;
    }
    if (/^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?M?$/.test(tok)) return Number(tok.replace(/M$/, ''));
    this.pos = start;
    return this.fail(`unexpected '${tok}'`);
  }

  private string(): string {
    const t = this.text;
    const start = this.pos;
    this.pos++; // opening quote
    let out = '';
    for (;;) {
      if (this.pos >= t.length) {
        this.pos = start;
        this.fail('unterminated string');
      }
      const c = t[this.pos++]!;
      if (c === '"') return out;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = t[this.pos++];
      switch (e) {
        case '"':
        case '\\':
          out += e;
          break;
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        default:
          this.pos -= 2;
          this.fail(`unknown escape '\\${e ?? ''}' in a string`);
      }
    }
  }

  private sequence(close: string): EdnValue[] {
    this.pos++; // opening bracket
    const out: EdnValue[] = [];
    for (;;) {
      this.skipSpace();
      if (this.pos >= this.text.length) this.fail(`expected '${close}'`);
      if (this.text[this.pos] === close) {
        this.pos++;
        return out;
      }
      out.push(this.value());
    }
  }

  private map(): EdnMap {
    this.pos++; // opening brace
    const out: EdnMap = new Map();
    for (;;) {
      this.skipSpace();
      if (this.pos >= this.text.length) this.fail("expected '}'");
      if (this.text[this.pos] === '}') {
        this.pos++;
        return out;
      }
      const k = this.value();
      this.skipSpace();
      if (this.text[this.pos] === '}') this.fail(`the key ${printEdn(k)} has no value`);
      out.set(k, this.value());
    }
  }
}
