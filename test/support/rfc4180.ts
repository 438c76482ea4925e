/**
 * A small, strict RFC 4180 parser for the tests (csv-parse is not a dependency): records separated
 * by CRLF, fields by commas, a quoted field may hold commas, CR, LF and doubled quotes. Anything
 * else (a quote inside an unquoted field, text after a closing quote, a bare LF between records)
 * throws, so a test fails on output a strict reader would reject.
 */
export const parseCsv = (text: string): string[][] => {
  const records: string[][] = [];
  let record: string[] = [];
  let i = 0;
  if (text === '') return records;
  while (i <= text.length) {
    let value = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw new Error('unterminated quoted field');
        const char = text[i] as string;
        if (char === '"') {
          if (text[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += char;
        i++;
      }
    } else {
      while (i < text.length && text[i] !== ',' && text[i] !== '\r' && text[i] !== '\n') {
        if (text[i] === '"') throw new Error(`quote inside an unquoted field at ${i}`);
        value += text[i];
        i++;
      }
    }
    record.push(value);
    if (i >= text.length) {
      records.push(record);
      break;
    }
    if (text[i] === ',') {
      i++;
      continue;
    }
    if (text[i] === '\r' && text[i + 1] === '\n') {
      records.push(record);
      record = [];
      i += 2;
      if (i === text.length) break;
      continue;
    }
    throw new Error(`unexpected ${JSON.stringify(text[i])} at ${i}`);
  }
  return records;
};
