/**
 * The operator CLI run in-process, as `npm run --silent cli -- …` runs it: `runCli` with captured
 * standard output and error. For the CLI suites (local mode, and "deployed" stacks on moto).
 */
import { Readable } from 'node:stream';
import { runCli } from '../../cli/main.ts';

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

export interface CliRunOptions {
  /** The environment the command sees (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Standard error is a terminal (progress drawn as a bar). */
  tty?: boolean;
  /** Standard output is a terminal (listings print a header row). */
  stdoutTty?: boolean;
  /** The command's clock (default: the system clock). */
  now?: () => Date;
}

/** Non-empty lines of a text. */
export const lines = (text: string): string[] => text.split('\n').filter((line) => line !== '');

export const runCliCaptured = async (args: string[], options: CliRunOptions = {}): Promise<CliRun> => {
  let out = '';
  let err = '';
  const code = await runCli(args, {
    stdin: Readable.from([]),
    stdout: (text) => {
      out += text;
    },
    stderr: (text) => {
      err += text;
    },
    env: options.env ?? process.env,
    stderrIsTTY: options.tty === true,
    stdoutIsTTY: options.stdoutTty === true,
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  return { code, out, err };
};
