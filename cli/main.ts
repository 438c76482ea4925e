/**
 * The operator CLI: `npm run --silent cli -- <command> [options]`. Each command has `--help`.
 */
import { parseArgs } from 'node:util';
import type { Command, CommandIo } from './command.ts';
import { flattenCommand } from './commands/flatten.ts';

export const COMMANDS: Command[] = [flattenCommand];

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
  return command.run({ values: args.values, positionals: args.positionals }, io);
};
