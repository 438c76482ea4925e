/**
 * `quarantine list --local`: a header row on a terminal, the rows alone into a pipe (so `cut -f1`
 * still gives ids), against a real local server holding a quarantined request.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { QUARANTINE_HEADER } from '../../cli/commands/quarantine.ts';
import { lines, runCliCaptured } from '../support/cli-run.ts';
import { Cleanup, startTestLocal } from '../support/local-harness.ts';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

describe('quarantine list', () => {
  it('prints a header row naming each column on a terminal, and none into a pipe or with --json', async () => {
    const { server, dataDir } = await startTestLocal(cleanup);
    const refused = await fetch(server.webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"not": "a Leadsie payload"}',
    });
    const { quarantineId } = (await refused.json()) as { quarantineId: string };
    expect(refused.status).toBe(400);
    const args = ['quarantine', 'list', '--local', '--data-dir', dataDir];

    const onTerminal = await runCliCaptured(args, { stdoutTty: true });
    expect(onTerminal.code, onTerminal.err).toBe(0);
    const [header, row, ...rest] = lines(onTerminal.out);
    expect(header).toBe(QUARANTINE_HEADER);
    expect(header?.split('\t')).toHaveLength(row?.split('\t').length ?? -1);
    expect(row?.startsWith(quarantineId.slice(0, 12))).toBe(true);
    expect(rest).toEqual([]);

    const piped = await runCliCaptured(args);
    expect(lines(piped.out)).toEqual([row]);

    const json = await runCliCaptured([...args, '--json'], { stdoutTty: true });
    expect(lines(json.out).map((line) => (JSON.parse(line) as { id: string }).id)).toEqual([quarantineId]);
  });

  it('prints no header when there is nothing to list', async () => {
    const { dataDir } = await startTestLocal(cleanup);
    const run = await runCliCaptured(['quarantine', 'list', '--local', '--data-dir', dataDir], {
      stdoutTty: true,
    });
    expect(run.code).toBe(0);
    expect(run.out).toBe('');
    expect(run.err).toMatch(/^nothing in quarantine/);
  });
});
