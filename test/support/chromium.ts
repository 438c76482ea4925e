/**
 * Debian's Chromium as the browser tests and the console screenshot launch it: playwright-core
 * cannot download its own browsers here, so the path comes from $CHROMIUM_PATH (what `.ci/run`
 * exports) and the flags keep a headless run quiet and offline.
 */
import { type BrowserContext, chromium } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A fresh browser on its own profile directory (`--user-data-dir`). */
export const launchChromium = (
  profileDir: string,
  options: { viewport?: { width: number; height: number } } = {},
): Promise<BrowserContext> =>
  chromium.launchPersistentContext(profileDir, { executablePath: CHROMIUM_PATH, args: FLAGS, ...options });
