/**
 * Checks the links of the repository's Markdown (README.md, the other top-level pages, docs/*.md):
 * a relative link must name a file or folder inside the repository, and an anchor (`#…`, alone or
 * after a Markdown file) a heading or an `<a id>` of that page. External http(s) links are not
 * fetched (CI has no network), only checked for form. Code blocks and code spans are skipped.
 *
 *   npx tsx scripts/check-links.ts      prints each broken link; exit 1 when there is one
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from '../lib/constructs/house-function.ts';

/** GitHub's heading anchor: lower case, punctuation dropped (not `-` or `_`), each space a hyphen. */
export const slug = (heading: string): string =>
  heading
    .replace(/`/g, '')
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M} _-]/gu, '')
    .replace(/ /g, '-');

/** The text outside fenced code blocks (their headings and links are examples). */
const outsideFences = (markdown: string): string =>
  markdown.replace(/^(\s*)(```|~~~)[\s\S]*?^\s*\2[^\n]*$/gm, '');

/** The prose: outside fenced blocks, with code spans blanked. */
const prose = (markdown: string): string => outsideFences(markdown).replace(/`[^`\n]*`/g, '``');

/** Every anchor a page offers: its headings' slugs (repeats get -1, -2, …) and `<a id|name>`. */
export const anchorsOf = (markdown: string): Set<string> => {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const [, heading] of outsideFences(markdown).matchAll(/^#{1,6}[ \t]+(.+?)[ \t#]*$/gm)) {
    const base = slug(heading ?? '');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  for (const [, id] of markdown.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(id ?? '');
  return anchors;
};

/** The link targets of a page: inline links and images, reference definitions, `href`s. */
export const linksOf = (markdown: string): string[] => {
  const text = prose(markdown);
  return [
    ...[...text.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1] ?? ''),
    ...[...text.matchAll(/^\s{0,3}\[[^\]]+\]:\s+<?(\S+?)>?(?:\s|$)/gm)].map((m) => m[1] ?? ''),
    ...[...text.matchAll(/<a\s[^>]*href="([^"]+)"/g)].map((m) => m[1] ?? ''),
  ];
};

/** The problems of the links of one page (`file` relative to `root`); none when all resolve. */
export const checkPage = (root: string, file: string): string[] => {
  const markdown = readFileSync(path.join(root, file), 'utf8');
  const problems: string[] = [];
  for (const link of linksOf(markdown)) {
    const problem = checkLink(root, file, markdown, link);
    if (problem) problems.push(`${file}: ${link}: ${problem}`);
  }
  return problems;
};

const checkLink = (root: string, file: string, markdown: string, link: string): string | undefined => {
  if (/^https?:/i.test(link)) {
    try {
      const url = new URL(link);
      return url.hostname.includes('.') ? undefined : 'not a well-formed external URL';
    } catch {
      return 'not a well-formed external URL';
    }
  }
  if (/^mailto:[^@\s]+@[^@\s]+$/i.test(link)) return undefined;
  if (/^[a-z][a-z0-9+.-]*:/i.test(link)) return 'a scheme other than http(s) or mailto';
  const [target = '', anchor] = link.split('#', 2);
  const resolved = path.resolve(root, path.dirname(file), decodeURIComponent(target));
  if (path.relative(root, resolved).startsWith('..')) return 'points outside the repository';
  if (target !== '' && !existsSync(resolved)) return 'no such file';
  if (anchor === undefined) return undefined;
  const page = target === '' ? markdown : statSync(resolved).isFile() ? readFileSync(resolved, 'utf8') : '';
  if (target !== '' && !resolved.endsWith('.md')) return undefined; // anchors into code: not checked
  return anchorsOf(page).has(anchor) ? undefined : `no heading or anchor "#${anchor}"`;
};

/** The pages checked: every top-level Markdown file and docs/*.md. */
export const pages = (root: string): string[] => [
  ...readdirSync(root).filter((f) => f.endsWith('.md')),
  ...readdirSync(path.join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => path.join('docs', f)),
];

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const files = pages(REPO_ROOT);
  const problems = files.flatMap((file) => checkPage(REPO_ROOT, file));
  for (const problem of problems) process.stderr.write(`${problem}\n`);
  process.stdout.write(`${files.length} pages, ${problems.length} broken link(s)\n`);
  if (problems.length > 0) process.exitCode = 1;
}
