/** The shape of a CLI command: its options (node:util parseArgs), its help text, and what it does. */
import type { ParseArgsConfig } from 'node:util';

export interface CommandIo {
  stdin: NodeJS.ReadableStream;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  /** True when standard error is a terminal: progress is drawn as a bar there, else printed as lines. */
  stderrIsTTY?: boolean;
  /** True when standard output is a terminal: listings print a header row there, not into a pipe. */
  stdoutIsTTY?: boolean;
  /** The clock (tests fix it); defaults to the system clock. */
  now?: () => Date;
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
  /**
   * Returns the process exit status. May throw a `CliError` (its message and status are printed as
   * they are) or any other error (described in one line, status 1): `runCli` does the printing.
   */
  run: (args: ParsedArgs, io: CommandIo) => Promise<number>;
}
