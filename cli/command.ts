/** The shape of a CLI command: its options (node:util parseArgs), its help text, and what it does. */
import type { ParseArgsConfig } from 'node:util';

export interface CommandIo {
  stdin: NodeJS.ReadableStream;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

export interface ParsedArgs {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  /** Returns the process exit status. */
  run: (args: ParsedArgs, io: CommandIo) => Promise<number>;
}
