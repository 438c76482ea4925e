/**
 * The client thank-you template the docs name ships with the repository, and the email consumer's
 * configuration accepts it as the docs show it.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseEmailTemplate } from '../../lambda/domain/email-message.ts';
import { loadConfig } from '../../lib/config.ts';
import { REPO_ROOT } from '../../lib/constructs/house-function.ts';

const EXAMPLE = 'templates/client-thank-you.txt';

/** The README and every page of docs/. */
const documents = (): string[] => {
  const docs = path.join(REPO_ROOT, 'docs');
  const pages = existsSync(docs)
    ? readdirSync(docs)
        .filter((name) => name.endsWith('.md'))
        .map((name) => path.join('docs', name))
    : [];
  return ['README.md', ...pages];
};

describe('the example client template', () => {
  it('is a valid template using every part of a thank-you: subject, client name, request name', () => {
    const text = readFileSync(path.join(REPO_ROOT, EXAMPLE), 'utf8');
    const template = parseEmailTemplate(text);
    expect(template.subject.length).toBeGreaterThan(0);
    expect(text).toContain('{{clientName}}');
    expect(text).toContain('{{requestName}}');
  });

  it('is accepted by the email consumer configuration as the docs show it', () => {
    const config = loadConfig({
      consumers: {
        email: {
          from: 'Agency Ops <ops@agency.example>',
          teamRecipients: ['team@agency.example'],
          client: { enabled: true, addresses: { 'acme-42': 'owner@acme.example' }, templateFile: EXAMPLE },
        },
      },
    });
    expect(config.consumers.email?.client.template).toBe(readFileSync(path.join(REPO_ROOT, EXAMPLE), 'utf8'));
  });

  it('every templateFile the README and docs/ name exists in the repository', () => {
    const named = documents().flatMap((file) =>
      [...readFileSync(path.join(REPO_ROOT, file), 'utf8').matchAll(/"templateFile":\s*"([^"]+)"/g)].map(
        (match) => ({ file, template: match[1] as string }),
      ),
    );
    expect(named.length).toBeGreaterThan(0);
    for (const { file, template } of named) {
      expect(existsSync(path.join(REPO_ROOT, template)), `${file} names ${template}`).toBe(true);
    }
  });
});
