/**
 * Local end-to-end: `npm start -- --memory` (the real local pipeline: HTTP → API Gateway stand-in →
 * ingest handler → dynalite → in-process topic → consumers, dry run) in a CHILD process, so its
 * peak memory (VmHWM in /proc/<pid>/status) is its own; driven over loopback from this process at
 * concurrency 1, 10 and 50. Every request is a distinct payload (a new delivery: the full write and
 * publish path), a bounded number per level. A figure is the median over rounds, with min and max.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import path from 'node:path';
import { REPO_ROOT } from '../lib/constructs/house-function.ts';
import { v1Payload } from './payloads.ts';
import { percentile, type Summary, summarize } from './stats.ts';

export interface E2eLevel {
  concurrency: number;
  requestsPerRound: number;
  rounds: number;
  p50Ms: Summary;
  p99Ms: Summary;
  requestsPerSecond: Summary;
  /** Server process CPU time (user + system) per request, ms: ingest, dynalite and the consumers. */
  serverCpuMsPerRequest: Summary;
  /** Non-200 answers (expected 0). */
  errors: number;
}

export interface E2eResult {
  levels: E2eLevel[];
  assetsPerPayload: number;
  /** Peak resident memory of the server process (VmHWM), MB, after all levels; null off Linux. */
  serverPeakRssMb: number | null;
  serverRssAfterMb: number | null;
  /** Peak after start-up and warm-up, before the measured levels. */
  serverPeakRssAfterWarmupMb: number | null;
  startupMs: number;
}

const procStatus = (pid: number, field: 'VmHWM' | 'VmRSS'): number | null => {
  try {
    const match = readFileSync(`/proc/${pid}/status`, 'utf8').match(
      new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'),
    );
    return match ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
};

/** user + system CPU time of a process, ms (from /proc/<pid>/stat; null off Linux). */
const procCpuMs = (pid: number): number | null => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat (11 and 12 after the command name), in clock ticks.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return null;
  }
};

const startServer = (): Promise<{ child: ChildProcess; webhookUrl: URL; startupMs: number }> =>
  new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(REPO_ROOT, 'local', 'main.ts'), '--memory'],
      {
        cwd: REPO_ROOT,
        env: {
          ...process.env,
          HOST: '127.0.0.1',
          PORT: '0',
          LOCAL_DATA_DIR: '',
          LOG_LEVEL: 'ERROR',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    const onData = (chunk: Buffer) => {
      // Keep reading (the server prints a line per request); look for the banner only until found.
      if (out === null) return;
      out += chunk.toString();
      const match = out.match(/webhook URL\s+(http:\/\/\S+)/);
      if (match) {
        out = null as unknown as string;
        resolve({ child, webhookUrl: new URL(match[1] as string), startupMs: performance.now() - started });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      err = (err + chunk.toString()).slice(-4000);
    });
    child.once('exit', (code) =>
      reject(new Error(`the local server exited (${code}) before it was ready:\n${err}`)),
    );
    setTimeout(
      () => reject(new Error(`the local server did not start within 60 s:\n${err}`)),
      60_000,
    ).unref();
  });

const post = (agent: Agent, url: URL, body: string): Promise<{ status: number; ms: number }> =>
  new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.once('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
      },
    );
    req.once('error', reject);
    req.end(body);
  });

/** `count` requests, at most `concurrency` at once; latencies and wall time. */
const drive = async (url: URL, concurrency: number, bodies: string[]) => {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++] as string;
        const { status, ms } = await post(agent, url, body);
        latencies.push(ms);
        if (status !== 200) errors++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return { latencies, seconds, errors };
};

export const measureLocalE2e = async (options: {
  rounds: number;
  requests: Record<number, number>;
  log: (line: string) => void;
}): Promise<E2eResult> => {
  const assets = 5;
  const { child, webhookUrl, startupMs } = await startServer();
  const pid = child.pid as number;
  let variant = 0;
  const bodies = (n: number) => Array.from({ length: n }, () => JSON.stringify(v1Payload(assets, ++variant)));
  try {
    options.log('  local e2e: warm-up …');
    await drive(webhookUrl, 5, bodies(100));
    const serverPeakRssAfterWarmupMb = procStatus(pid, 'VmHWM');
    const levels: E2eLevel[] = [];
    for (const concurrency of Object.keys(options.requests).map(Number)) {
      const count = options.requests[concurrency] as number;
      const p50: number[] = [];
      const p99: number[] = [];
      const rps: number[] = [];
      const cpu: number[] = [];
      let errors = 0;
      for (let r = 0; r < options.rounds; r++) {
        const payloads = bodies(count);
        const cpuBefore = procCpuMs(pid);
        const run = await drive(webhookUrl, concurrency, payloads);
        const cpuAfter = procCpuMs(pid);
        p50.push(percentile(run.latencies, 50));
        p99.push(percentile(run.latencies, 99));
        rps.push(count / run.seconds);
        if (cpuBefore !== null && cpuAfter !== null) cpu.push((cpuAfter - cpuBefore) / count);
        errors += run.errors;
        options.log(`  local e2e: concurrency ${concurrency}, round ${r + 1}/${options.rounds}`);
      }
      levels.push({
        concurrency,
        requestsPerRound: count,
        rounds: options.rounds,
        p50Ms: summarize(p50),
        p99Ms: summarize(p99),
        requestsPerSecond: summarize(rps),
        serverCpuMsPerRequest: summarize(cpu),
        errors,
      });
    }
    return {
      levels,
      assetsPerPayload: assets,
      serverPeakRssMb: procStatus(pid, 'VmHWM'),
      serverRssAfterMb: procStatus(pid, 'VmRSS'),
      serverPeakRssAfterWarmupMb,
      startupMs,
    };
  } finally {
    await new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGINT');
    });
  }
};
