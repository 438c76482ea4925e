/**
 * The CLI's failures and how they print: one line on standard error, and an exit status (1: the
 * operation failed, 2: the command line was wrong). `runCli` is the one place that prints them.
 */

export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
  }
}

/** A wrong command line: exit status 2. */
export class UsageError extends CliError {
  override name = 'UsageError';
  constructor(message: string) {
    super(message, 2);
  }
}

/** One line for any error: a CliError's own message, else its name and message. */
export const oneLine = (error: unknown): string => {
  if (error instanceof CliError) return error.message;
  if (error instanceof Error) {
    const text = error.message || String(error);
    return error.name && error.name !== 'Error' ? `${error.name}: ${text}` : text;
  }
  return String(error);
};
