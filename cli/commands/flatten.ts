/**
 * `flatten [FILE]` and `flatten --jsonl`: the flat record of Leadsie payloads, as the deployed
 * pipeline computes it. Users run it to check payloads and CRM field mappings before going live.
 */
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { flatten } from '../../lambda/domain/flatten.ts';
import { parsePayload } from '../../lambda/domain/payload.ts';
import type { Command, CommandIo } from '../command.ts';

/** The flat record of one payload text, or the reason it is rejected. */
export const flattenText = (text: string): { ok: true; flat: object } | { ok: false; error: string } => {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `invalid JSON: ${(error as Error).message}` };
  }
  const parsed = parsePayload(json);
  if (!parsed.ok) {
    return { ok: false, error: parsed.problems.map((p) => `${p.path}: ${p.message}`).join('; ') };
  }
  return { ok: true, flat: flatten(parsed.payload) };
};

const readStream = async (stream: NodeJS.ReadableStream): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
};

export const flattenCommand: Command = {
  name: 'flatten',
  summary: 'Print the flat record of a Leadsie payload (or of each line of a JSONL stream)',
  usage: `Usage:
  cli flatten [FILE]            the flat record of one payload (FILE, or standard input) as JSON
  cli flatten --jsonl           one payload per line on standard input, one result per line out,
                                in order; a rejected line prints {"error": "..."}; blank lines are skipped

Exit status: 0 when every payload was accepted, 1 when any was rejected, 2 on a usage error.`,
  options: { jsonl: { type: 'boolean' } },
  run: async ({ values, positionals }, io: CommandIo) => {
    if (values.jsonl) {
      if (positionals.length > 0) {
        io.stderr('flatten --jsonl reads standard input; it takes no FILE\n');
        return 2;
      }
      let rejected = 0;
      const lines = createInterface({ input: io.stdin, crlfDelay: Number.POSITIVE_INFINITY });
      for await (const line of lines) {
        if (line.trim() === '') continue;
        const result = flattenText(line);
        if (!result.ok) rejected++;
        io.stdout(`${JSON.stringify(result.ok ? result.flat : { error: result.error })}\n`);
      }
      return rejected > 0 ? 1 : 0;
    }
    if (positionals.length > 1) {
      io.stderr('flatten takes at most one FILE\n');
      return 2;
    }
    const file = positionals[0];
    let text: string;
    try {
      text = file === undefined || file === '-' ? await readStream(io.stdin) : await readFile(file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why =
        code === 'ENOENT'
          ? 'no such file'
          : code === 'EISDIR'
            ? 'it is a directory'
            : (error as Error).message;
      io.stderr(`cannot read ${file}: ${why}\n`);
      return 1;
    }
    const result = flattenText(text);
    if (!result.ok) {
      io.stderr(`rejected: ${result.error}\n`);
      return 1;
    }
    io.stdout(`${JSON.stringify(result.flat, null, 2)}\n`);
    return 0;
  },
};
