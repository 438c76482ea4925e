/**
 * Makes docs/console.png, the README's picture of the operator console, from a fixed data set:
 * local mode with its store in memory, the sample payloads (and a few clients made from them, one
 * of which later grants what it had missing), one quarantined request, and the console on top.
 * Chromium comes from $CHROMIUM_PATH (default /usr/bin/chromium).
 *
 *   npx tsx scripts/console-screenshot.ts [OUTPUT]     (default: docs/console.png)
 *
 * Run by hand when the pages change; tests never write committed files.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectTarget } from '../cli/target.ts';
import { ConsoleData } from '../console/data.ts';
import { startConsole } from '../console/server.ts';
import { startLocal } from '../local/server.ts';
import { launchChromium } from '../test/support/chromium.ts';

const REPO = fileURLToPath(new URL('../', import.meta.url));
const output = path.resolve(process.argv[2] ?? path.join(REPO, 'docs', 'console.png'));

const sample = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(path.join(REPO, 'samples', `${name}.json`), 'utf8')) as Record<string, unknown>;

/** The data set: each payload is posted in this order (the newest ends up first). */
const payloads = (): { body: Record<string, unknown>; contentType?: string }[] => {
  const harbor = sample('v2-partial-multi-platform');
  const assets = harbor.connectionAssets as Record<string, unknown>[];
  const granted = {
    ...harbor,
    status: 'SUCCESS',
    connectionAssets: assets.map((asset) => ({ ...asset, connectionStatus: 'Connected', notes: '' })),
  };
  return [
    { body: sample('v1-partial-success') },
    { body: sample('v1-failed') },
    {
      body: {
        ...sample('v1-failed'),
        user: 'lead-8042',
        requestUrl: 'https://app.leadsie.com/request/orchard-physio',
        requestName: 'Orchard Physio',
        status: 'SUCCESS',
        connectionAssets: [{ type: 'Page', name: 'Orchard Physio', id: '3381920', isSuccess: true }],
      },
    },
    { body: harbor },
    { body: sample('v1-partial-success'), contentType: 'text/plain' },
    { body: granted },
  ];
};

const main = async () => {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'console-screenshot-'));
  const local = await startLocal({
    host: '127.0.0.1',
    port: 0,
    memory: true,
    dataDir,
    say: () => undefined,
  });
  const profile = await mkdtemp(path.join(os.tmpdir(), 'console-screenshot-chromium-'));
  try {
    for (const { body, contentType } of payloads()) {
      await fetch(local.webhookUrl, {
        method: 'POST',
        headers: { 'content-type': contentType ?? 'application/json' },
        body: JSON.stringify(body),
      });
    }
    const data = new ConsoleData(await connectTarget({ kind: 'local', dataDir }), {
      alarms: null,
      // Not the temporary directory's path: the picture shows what `npm run console -- --local` shows.
      label: 'local mode (.local)',
    });
    const server = await startConsole({ data, port: 0 });
    const context = await launchChromium(profile, {
      viewport: { width: 1280, height: 760 },
    });
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      await page.goto(server.url);
      await page.waitForSelector('tbody tr');
      await page.screenshot({ path: output });
    } finally {
      await context.close();
      await server.close();
    }
    process.stdout.write(`wrote ${path.relative(process.cwd(), output)}\n`);
  } finally {
    await local.stop();
    await rm(profile, { recursive: true, force: true });
    await rm(dataDir, { recursive: true, force: true });
  }
};

await main();
