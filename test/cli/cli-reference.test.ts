/**
 * docs/cli.md is the rendering of the commands' own --help (scripts/cli-reference.ts): a help text
 * changed without rendering the page again, or a hand edit of the page, fails here.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../cli/main.ts';
import { CLI_DOC, renderCliReference } from '../../scripts/cli-reference.ts';

describe('docs/cli.md', () => {
  it('is rendered from the commands --help (npx tsx scripts/cli-reference.ts)', async () => {
    expect(readFileSync(CLI_DOC, 'utf8')).toBe(await renderCliReference());
  });

  it('has a section with the usage of every command', async () => {
    const page = await renderCliReference();
    for (const command of COMMANDS) {
      expect(page).toContain(`## \`${command.name}\``);
      expect(page).toContain(command.usage.split('\n')[1] ?? command.usage);
    }
  });
});

describe('every command help', () => {
  it.each(COMMANDS.map((c) => [c.name, c] as const))(
    '%s: usage first, exit status last',
    (_name, command) => {
      expect(command.usage).toMatch(/^Usage:\n {2}cli /);
      expect(command.usage).toMatch(/Exit status: 0 .*, 1 .*2 on a usage error\.$/s);
    },
  );
});
