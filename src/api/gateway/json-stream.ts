// Splits a request body holding several JSON values one after another (`{..}{..}` or one per
// line), as grpc-gateway reads the body of a client stream (watch, keep-alive).

/** The text of each top-level JSON value in `text`; a trailing incomplete value is returned too. */
export function splitJsonValues(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let inString = false;
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === ' ' || c === '\n' || c === '\r' || c === '\t') {
      if (depth === 0 && start >= 0) {
        out.push(text.slice(start, i));
        start = -1;
      }
      continue;
    }
    if (start < 0) start = i;
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) {
        out.push(text.slice(start, i + 1));
        start = -1;
      }
    }
  }
  if (start >= 0) out.push(text.slice(start));
  return out;
}
