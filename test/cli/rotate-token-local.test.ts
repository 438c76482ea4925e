/**
 * `rotate-token --local`: local mode has no rotation, and the hint says where the new token shows
 * up, for each of the two tokens.
 */
import { describe, expect, it } from 'vitest';
import { lines, runCliCaptured } from '../support/cli-run.ts';

describe('rotate-token --local', () => {
  it('--which webhook: the new URL comes from cli url --local', async () => {
    const run = await runCliCaptured(['rotate-token', '--local', '--data-dir', 'some-dir']);
    expect(run.code).toBe(2);
    expect(lines(run.err)).toHaveLength(1);
    expect(run.err).toMatch(
      /delete the webhookToken entry of .*some-dir.tokens\.json \(or set LEADSIE_WEBHOOK_TOKEN\)/,
    );
    expect(run.err).toContain('run cli url --local for the new URL');
  });

  it('--which read: the new token is on the banner, never "cli url" (that prints the webhook URL)', async () => {
    const run = await runCliCaptured([
      'rotate-token',
      '--which',
      'read',
      '--local',
      '--data-dir',
      'some-dir',
    ]);
    expect(run.code).toBe(2);
    expect(lines(run.err)).toHaveLength(1);
    expect(run.err).toMatch(
      /delete the readToken entry of .*some-dir.tokens\.json \(or set LEADSIE_READ_TOKEN\)/,
    );
    expect(run.err).toContain("its banner's read API line shows the new token");
    expect(run.err).not.toContain('cli url');
    expect(run.out).toBe('');
  });
});
