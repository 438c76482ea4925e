/**
 * Well-formed text only. A JSON string may spell a lone surrogate (`"\udc00"`): valid JSON, but not
 * Unicode text. Nothing downstream can carry it faithfully (the SNS client refuses to encode it in a
 * message attribute, UTF-8 has no bytes for it), so a body holding one anywhere, object keys
 * included, is refused at the door with the path of each such string.
 */

declare global {
  interface String {
    /** ES2024; in every Node.js this project runs on. */
    isWellFormed(): boolean;
  }
}

/** One string that is not well-formed: where, in `formatPath` form, and what. */
export interface TextProblem {
  path: string;
  message: string;
}

const appendKey = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);

/** The first lone surrogate of a string that has one, as `U+DC00 at index 3`. */
const firstLoneSurrogate = (text: string): string => {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    const next = text.charCodeAt(i + 1);
    if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      i++;
      continue;
    }
    return `U+${c.toString(16).toUpperCase()} at index ${i}`;
  }
  return 'none';
};

const describeString = (value: string): string =>
  `a lone surrogate (${firstLoneSurrogate(value)}): not well-formed Unicode`;

/**
 * Every string of a parsed JSON value, keys included, that is not well-formed Unicode, at most
 * `limit` of them. A key's problem is reported at the path of its object, and its value is not
 * looked into (its path could not be written faithfully). Iterative, so depth cannot overflow the
 * stack.
 */
export const illFormedStrings = (value: unknown, limit = Number.POSITIVE_INFINITY): TextProblem[] => {
  const problems: TextProblem[] = [];
  const stack: [unknown, string][] = [[value, '']];
  while (stack.length > 0 && problems.length < limit) {
    const [current, path] = stack.pop() as [unknown, string];
    if (typeof current === 'string') {
      if (!current.isWellFormed())
        problems.push({ path: path || '(root)', message: describeString(current) });
      continue;
    }
    if (typeof current !== 'object' || current === null) continue;
    if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) {
        const item = current[i];
        if (typeof item === 'object' || typeof item === 'string') stack.push([item, `${path}[${i}]`]);
      }
      continue;
    }
    const children: [unknown, string][] = [];
    for (const key of Object.keys(current)) {
      if (!key.isWellFormed()) {
        // JSON.stringify writes a lone surrogate as an escape, so the message itself is well-formed.
        problems.push({
          path: path || '(root)',
          message: `the key ${JSON.stringify(key)} has ${describeString(key)}`,
        });
        continue;
      }
      const item = (current as Record<string, unknown>)[key];
      if (typeof item === 'object' || typeof item === 'string') children.push([item, appendKey(path, key)]);
    }
    for (let c = children.length - 1; c >= 0; c--) stack.push(children[c] as [unknown, string]);
  }
  return problems.length > limit ? problems.slice(0, limit) : problems;
};

/** True when a string holds no lone surrogate. */
export const isWellFormedText = (text: string): boolean => text.isWellFormed();

/** True when every string of a parsed JSON value, keys included, is well-formed Unicode. */
export const isWellFormedJson = (value: unknown): boolean => illFormedStrings(value, 1).length === 0;
