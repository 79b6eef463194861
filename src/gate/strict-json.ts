/**
 * A strict JSON reader for request bodies: JSON.parse keeps the last of duplicated keys silently
 * (as Go does, which also matches keys case-insensitively), so a body could say one thing to a
 * checker and another to the engine. This one refuses a duplicated key, anywhere. The gate never
 * forwards what it read anyway: it builds the engine's body from its own template.
 */
export class StrictJsonError extends Error {}

const MAX_DEPTH = 16;

export function parseStrictJson(text: string): unknown {
  let i = 0;
  const fail = (what: string): never => {
    throw new StrictJsonError(`${what} at offset ${i}`);
  };
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text[i] as string)) i++;
  };
  const value = (depth: number): unknown => {
    if (depth > MAX_DEPTH) fail("nested too deep");
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      const out: Record<string, unknown> = Object.create(null);
      const keys = new Set<string>();
      ws();
      if (text[i] === "}") {
        i++;
        return { ...out };
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail("expected a key");
        const key = string();
        if (keys.has(key)) fail(`duplicated key ${JSON.stringify(key)}`);
        keys.add(key);
        ws();
        if (text[i] !== ":") fail("expected ':'");
        i++;
        out[key] = value(depth + 1);
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "}") {
          i++;
          return { ...out };
        }
        fail("expected ',' or '}'");
      }
    }
    if (c === "[") {
      i++;
      const out: unknown[] = [];
      ws();
      if (text[i] === "]") {
        i++;
        return out;
      }
      for (;;) {
        out.push(value(depth + 1));
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "]") {
          i++;
          return out;
        }
        fail("expected ',' or ']'");
      }
    }
    if (c === '"') return string();
    const m = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(i, i + 64));
    if (!m) return fail("unexpected character");
    i += m[0].length;
    return JSON.parse(m[0]);
  };
  const string = (): string => {
    const start = i;
    i++;
    while (i < text.length) {
      const c = text[i];
      if (c === "\\") i += 2;
      else if (c === '"') {
        i++;
        return JSON.parse(text.slice(start, i)) as string;
      } else if ((c as string) < " ") fail("control character in a string");
      else i++;
    }
    return fail("unterminated string");
  };
  const v = value(0);
  ws();
  if (i !== text.length) fail("text after the value");
  return v;
}
