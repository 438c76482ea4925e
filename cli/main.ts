/**
 * The operator CLI: `npm run --silent cli -- <command> [options]`. Each command has `--help`.
 */
import { parseArgs } from 'node:util';
import type { Command, CommandIo } from './command.ts';
import { deadLettersCommand } from './commands/dead-letters.ts';
import { deliveriesCommand } from './commands/deliveries.ts';
import { eventsCommand } from './commands/events.ts';
import { exportCommand } from './commands/export.ts';
import { flattenCommand } from './commands/flatten.ts';
import { quarantineCommand } from './commands/quarantine.ts';
import { replayCommand } from './commands/replay.ts';
import { rotateTokenCommand } from './commands/rotate-token.ts';
import { sendTestEventCommand } from './commands/send-test-event.ts';
import { urlCommand } from './commands/url.ts';
import { CliError, oneLine } from './errors.ts';

export const COMMANDS: Command[] = [
  flattenCommand,
  urlCommand,
  sendTestEventCommand,
  replayCommand,
  exportCommand,
  rotateTokenCommand,
  quarantineCommand,
  eventsCommand,
  deliveriesCommand,
  deadLettersCommand,
];

const overview = (): string =>
  [
    'Usage: npm run --silent cli -- <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(18)}${c.summary}`),
    '',
    'Run a command with --help for its options.',
    '',
  ].join('\n');

export const runCli = async (argv: string[], io: CommandIo): Promise<number> => {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.stderr(`a command is required\n\n${overview()}`);
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    io.stdout(overview());
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.stderr(`unknown command "${name}"\n\n${overview()}`);
    return 2;
  }
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs({
      args: rest,
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    io.stderr(`${(error as Error).message}\n\n${command.usage}\n`);
    return 2;
  }
  if (args.values.help) {
    io.stdout(`${command.summary}\n\n${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run({ values: args.values, positionals: args.positionals }, io);
  } catch (error) {
    // The one place a command's failure is printed: one line, and its exit status.
    const exitCode = error instanceof CliError ? error.exitCode : 1;
    const hint = exitCode === 2 ? ` (see: cli ${command.name} --help)` : '';
    io.stderr(`${command.name}: ${oneLine(error)}${hint}\n`);
    return exitCode;
  }
};
