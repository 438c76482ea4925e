/**
 * The link checker (scripts/check-links.ts) over the repository's Markdown, and the checker itself
 * on small pages with a broken link of each kind, so a checker that lets everything pass fails here.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../lib/constructs/house-function.ts';
import { anchorsOf, checkPage, linksOf, pages, slug } from '../../scripts/check-links.ts';

describe('the repository Markdown', () => {
  it('README.md, the top-level pages and docs/*.md have no broken link', () => {
    const files = pages(REPO_ROOT);
    expect(files).toContain('README.md');
    expect(files).toContain(path.join('docs', 'cli.md'));
    expect(files.flatMap((file) => checkPage(REPO_ROOT, file))).toEqual([]);
  });
});

describe('slug', () => {
  it.each([
    ['Try it locally', 'try-it-locally'],
    ['`POST /leadsie/webhook`', 'post-leadsiewebhook'],
    ['Consumers: Slack, HubSpot, webhook forwarders', 'consumers-slack-hubspot-webhook-forwarders'],
    ['`events show`, `deliveries`, `dead-letters`', 'events-show-deliveries-dead-letters'],
    ['Stages: a staging and a production stack', 'stages-a-staging-and-a-production-stack'],
    ['The [event contract](docs/x.md) (v1)', 'the-event-contract-v1'],
    ['max_receive_count & Co.', 'max_receive_count--co'],
  ])('%s → %s', (heading, expected) => {
    expect(slug(heading)).toBe(expected);
  });

  it('numbers repeated headings, and reads <a id>', () => {
    expect([...anchorsOf('# A\n\n## A\n\n```\n# not a heading\n```\n<a id="x"></a>\n')]).toEqual([
      'a',
      'a-1',
      'x',
    ]);
  });
});

describe('checkPage', () => {
  let root: string;
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const page = (markdown: string) => {
    root = mkdtempSync(path.join(tmpdir(), 'links-'));
    mkdirSync(path.join(root, 'docs'));
    writeFileSync(path.join(root, 'docs', 'other.md'), '# Other\n\n## Some part\n');
    writeFileSync(path.join(root, 'README.md'), markdown);
    return checkPage(root, 'README.md');
  };

  it('passes links that resolve', () => {
    expect(
      page(
        '# Top\n\n[a](docs/other.md) [b](docs/other.md#some-part) [c](#top) [d](docs/)\n' +
          '[e](https://example.com/x) <a href="#top">f</a>\n\n[ref]: docs/other.md\n',
      ),
    ).toEqual([]);
  });

  it.each([
    ['[x](docs/missing.md)', 'no such file'],
    ['[x](docs/other.md#nope)', 'no heading or anchor "#nope"'],
    ['[x](#nope)', 'no heading or anchor "#nope"'],
    ['[x](../shared/reference/zapier_flatten.py)', 'points outside the repository'],
    ['[x](https://localhost/)', 'not a well-formed external URL'],
    ['[x](ftp://example.com/a)', 'a scheme other than http(s) or mailto'],
    ['[ref]: docs/gone.md', 'no such file'],
  ])('reports %s', (link, problem) => {
    const problems = page(`# Top\n\n${link}\n`);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(problem);
  });

  it('skips links in code blocks and code spans', () => {
    expect(linksOf('```md\n[x](missing.md)\n```\n`[y](missing.md)`\n')).toEqual([]);
  });
});
