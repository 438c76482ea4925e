#!/usr/bin/env node
/** Operator CLI entry: `npm run --silent cli -- <command>`; the commands live in `cli/`. */
import { runCli } from '../cli/main.ts';

process.exitCode = await runCli(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  stderrIsTTY: process.stderr.isTTY === true,
});
