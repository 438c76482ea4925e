/**
 * Canonical JSON of a JSON text, numbers kept as written.
 *
 * `JSON.parse` turns every number into a double, so `1`, `1.0` and `1e0` become one value, an integer
 * beyond 2^53 becomes its neighbour, `-0` prints as `0` and `1e309` as `null`: two different bodies
 * would canonicalise alike. Node 20's reviver has no `context.source` to recover the text, so this
 * reads the text itself with a small tokenizer:
 *
 *   - objects: keys sorted by UTF-16 code unit at every depth, a repeated key keeps its last value
 *     (as `JSON.parse` does);
 *   - strings (keys and values): the decoded string as `JSON.stringify` writes it;
 *   - numbers: their text, exactly as written;
 *   - no insignificant white space.
 *
 * For a text whose every number prints back as written (`JSON.stringify(JSON.parse(n)) === n`), the
 * result is exactly `canonicalJson(JSON.parse(text))` of `fingerprint.ts`, so fingerprints taken
 * before and after the switch agree.
 *
 * Iterative (an explicit stack of open containers), so a deeply nested text cannot overflow the
 * call stack.
 */

/** The text is not JSON; `position` is the UTF-16 offset where reading stopped. */
export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(`${message} at position ${position}`);
    this.name = 'JsonSyntaxError';
  }
}

interface ArrayFrame {
  array: true;
  out: string;
  empty: boolean;
}

interface ObjectFrame {
  array: false;
  /** Decoded key → `"key":value` in canonical form; a later repeat of a key replaces it. */
  members: Map<string, string>;
  /** The member being read: its decoded key and its canonical text. */
  key: string;
  keyText: string;
}

type Frame = ArrayFrame | ObjectFrame;

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The canonical JSON of a JSON text (see the file comment); throws JsonSyntaxError when it is not JSON. */
export const canonicalJsonText = (text: string): string => {
  let i = 0;
  const n = text.length;
  const stack: Frame[] = [];

  const skipSpace = () => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return;
      i++;
    }
  };

  const fail = (what: string): never => {
    throw new JsonSyntaxError(i >= n ? `unexpected end of JSON (${what})` : what, i);
  };

  /** Reads the string token at `i`: its decoded value and its canonical text. */
  const readString = (): { value: string; canonical: string } => {
    const start = i;
    let plain = true;
    let j = i + 1;
    for (;;) {
      if (j >= n) {
        i = j;
        fail('unterminated string');
      }
      const c = text.charCodeAt(j);
      if (c === QUOTE) break;
      if (c === BACKSLASH) {
        plain = false;
        j += 2;
        continue;
      }
      if (c < 0x20) {
        i = j;
        fail('control character in a string');
      }
      // A surrogate may be written differently by JSON.stringify (a lone one is escaped).
      if (c >= 0xd800 && c <= 0xdfff) plain = false;
      j++;
    }
    i = j + 1;
    const token = text.slice(start, i);
    if (plain) return { value: token.slice(1, -1), canonical: token };
    let value: string;
    try {
      value = JSON.parse(token) as string;
    } catch {
      i = start;
      return fail('invalid escape in a string');
    }
    return { value, canonical: JSON.stringify(value) };
  };

  const expectWord = (word: string): string => {
    if (text.startsWith(word, i)) {
      i += word.length;
      return word;
    }
    return fail('unexpected character');
  };

  /** Reads an object key and its colon, into the object frame on top. */
  const readKey = (frame: ObjectFrame) => {
    if (text.charCodeAt(i) !== QUOTE) fail('expected a string key');
    const key = readString();
    frame.key = key.value;
    frame.keyText = key.canonical;
    skipSpace();
    if (text.charCodeAt(i) !== 0x3a) fail('expected ":"');
    i++;
    skipSpace();
  };

  const closeObject = (frame: ObjectFrame): string => {
    const keys = [...frame.members.keys()].sort();
    let out = '{';
    for (let k = 0; k < keys.length; k++) {
      if (k > 0) out += ',';
      out += frame.members.get(keys[k] as string);
    }
    return `${out}}`;
  };

  skipSpace();
  for (;;) {
    // A value starts at i.
    let value: string;
    const c = text.charCodeAt(i);
    if (c === 0x7b /* { */) {
      i++;
      skipSpace();
      if (text.charCodeAt(i) === 0x7d /* } */) {
        i++;
        value = '{}';
      } else {
        const frame: ObjectFrame = { array: false, members: new Map(), key: '', keyText: '' };
        stack.push(frame);
        readKey(frame);
        continue;
      }
    } else if (c === 0x5b /* [ */) {
      i++;
      skipSpace();
      if (text.charCodeAt(i) === 0x5d /* ] */) {
        i++;
        value = '[]';
      } else {
        stack.push({ array: true, out: '[', empty: true });
        continue;
      }
    } else if (c === QUOTE) {
      value = readString().canonical;
    } else if (c === 0x74 /* t */) {
      value = expectWord('true');
    } else if (c === 0x66 /* f */) {
      value = expectWord('false');
    } else if (c === 0x6e /* n */) {
      value = expectWord('null');
    } else {
      NUMBER.lastIndex = i;
      const match = NUMBER.exec(text);
      if (match === null) return fail('expected a JSON value');
      value = match[0];
      i += value.length;
    }

    // A value is complete: add it to its container, closing every container it completes.
    for (;;) {
      const top = stack.at(-1);
      if (top === undefined) {
        skipSpace();
        if (i < n) fail('unexpected text after the JSON value');
        return value;
      }
      if (top.array) {
        if (!top.empty) top.out += ',';
        top.out += value;
        top.empty = false;
      } else {
        top.members.set(top.key, `${top.keyText}:${value}`);
      }
      skipSpace();
      const d = text.charCodeAt(i);
      if (d === 0x2c /* , */) {
        i++;
        skipSpace();
        if (!top.array) readKey(top);
        break;
      }
      if (top.array && d === 0x5d /* ] */) {
        i++;
        stack.pop();
        value = `${top.out}]`;
      } else if (!top.array && d === 0x7d /* } */) {
        i++;
        stack.pop();
        value = closeObject(top);
      } else {
        return fail(top.array ? 'expected "," or "]"' : 'expected "," or "}"');
      }
    }
  }
};
