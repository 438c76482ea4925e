/**
 * `npm start` as a developer runs it: `local/main.ts` in a child process (node --import tsx, the
 * repository as working directory), with only the settings a test gives. Killed when the test ends
 * if it is still running.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'vitest';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** Settings `npm start` reads; the children get only the ones a test sets. */
const SETTINGS = [
  'HOST',
  'PORT',
  'LOCAL_DATA_DIR',
  'LEADSIE_WEBHOOK_TOKEN',
  'LEADSIE_READ_TOKEN',
  'SLACK_WEBHOOK_URL',
  'HUBSPOT_ACCESS_TOKEN',
  'HUBSPOT_BASE_URL',
  'FORWARD_WEBHOOK_URL',
  'FORWARD_WEBHOOK_SECRET',
  'GOOGLE_SERVICE_ACCOUNT_KEY_FILE',
  'SHEETS_SPREADSHEET_ID',
  'EMAIL_FROM',
  'LOG_LEVEL',
  'NODE_OPTIONS',
];

export interface NpmStart {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Exit code (null when killed by a signal), within `timeoutMs`. */
  exit(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export const npmStart = (
  context: TestContext,
  env: Record<string, string>,
  args: string[] = [],
): NpmStart => {
  const base = { ...process.env };
  for (const name of SETTINGS) delete base[name];
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts', ...args], {
    cwd: REPO,
    env: { ...base, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  context.onTestFinished(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exit: (timeoutMs = 60_000) => {
      let timer: NodeJS.Timeout | undefined;
      return Promise.race([
        exited.finally(() => clearTimeout(timer)),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no exit within ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`)),
            timeoutMs,
          );
        }),
      ]);
    },
  };
};
