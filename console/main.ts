/**
 * `npm run console`: the operator console, a web page on 127.0.0.1 over the same target the CLI
 * uses (the deployed stack with the default AWS credential chain, or `--local`). Prints the URL with
 * its session token; `--open` opens it in the browser.
 */
import { spawn, spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { oneLine, UsageError } from '../cli/errors.ts';
import { connectTarget, TARGET_OPTIONS, TARGET_USAGE, targetChoice } from '../cli/target.ts';
import { CloudWatchAlarms } from './alarms.ts';
import { ConsoleData } from './data.ts';
import { startConsole } from './server.ts';

const USAGE = `Usage: npm run console -- [--port PORT] [--open] [target options]

Starts the operator console on http://127.0.0.1:PORT and prints its URL with a session token (the
first visit trades it for a cookie). Events, clients, quarantine, dead letters and health, with
replay, retry, discard and redrive: the same operations as the CLI.

  --port PORT   the loopback port (default: 0, any free port)
  --open        open the URL in the browser (xdg-open or open), else print it

${TARGET_USAGE}

See docs/console.md for the pages, the permissions the operator needs, and the security model.`;

const openCommand = (): string | null => {
  const candidates = process.platform === 'darwin' ? ['open'] : ['xdg-open'];
  for (const command of candidates) {
    if (spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0) return command;
  }
  return null;
};

const main = async (): Promise<number> => {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        ...TARGET_OPTIONS,
        port: { type: 'string' },
        open: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  try {
    const portText = typeof values.port === 'string' ? values.port : '0';
    if (!/^\d+$/.test(portText) || Number(portText) > 65_535) {
      throw new UsageError(`--port "${portText}" is not a port number (0-65535)`);
    }
    const target = await connectTarget(targetChoice(values, process.env));
    const alarms = target.kind === 'deployed' ? new CloudWatchAlarms(target.clients.cloudWatch) : null;
    const data = new ConsoleData(target, { alarms });
    const server = await startConsole({
      data,
      port: Number(portText),
      log: (line) => process.stderr.write(`${line}\n`),
    }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE')
        throw new UsageError(`port ${portText} on 127.0.0.1 is already in use`);
      throw error;
    });
    process.stdout.write(`Operator console for ${data.label}:\n\n  ${server.url}\n\nCtrl-C stops it.\n`);
    if (values.open === true) {
      const command = openCommand();
      if (command === null) {
        process.stdout.write('(no xdg-open here: open the URL above in your browser)\n');
      } else {
        spawn(command, [server.url], { stdio: 'ignore', detached: true })
          .on('error', () => process.stdout.write('(could not open a browser: open the URL above)\n'))
          .unref();
      }
    }
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await server.close();
    return 0;
  } catch (error) {
    const code = error instanceof UsageError ? 2 : 1;
    process.stderr.write(`console: ${oneLine(error)}\n`);
    return code;
  }
};

process.exitCode = await main();
