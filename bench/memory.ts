/**
 * Memory size per function, from measurements: the peak resident memory of a fresh process that
 * imported the function's bundle (the container's floor before any event), and the CPU time that
 * import took on one full core. Lambda gives a function CPU in proportion to its memory (one vCPU
 * at 1,769 MB), so a smaller size saves GB-seconds only where the duration is not CPU-bound, and
 * stretches a CPU-bound init by 1,769 / size.
 */
import type { ColdStartResult } from './cold-start.ts';
import type { CostResult } from './cost.ts';

export interface MemoryRow {
  handler: string;
  configuredMb: number[];
  peakRssAfterImportMb: number;
  initCpuMs: number;
  /** Init, if CPU-bound, at each size (ms). */
  initMsAt: Record<number, number>;
  recommendedMb: number;
  reason: string;
}

const SIZES = [128, 256, 512, 1024];
const FULL_VCPU_MB = 1769;

export const memoryAdvice = (cold: ColdStartResult, cost?: CostResult): MemoryRow[] =>
  cold.rows.map((row) => {
    const peak = row.bundlePeakRssMb.median;
    // CPU of the import itself plus the bare node start it sits on: the whole init.
    const initCpuMs = row.bundleCpuMs.median + (cold.bareNodeCpuMs?.median ?? 0);
    const initMsAt = Object.fromEntries(
      SIZES.map((mb) => [mb, Math.round((initCpuMs * FULL_VCPU_MB) / Math.min(mb, FULL_VCPU_MB))]),
    );
    // 3x the import's peak: an event's work (TLS, fetch, the payload and its copies) comes on top.
    const roomy = SIZES.find((mb) => mb >= 3 * peak) ?? 1024;
    const synchronous = row.handler === 'ingest' || row.handler === 'connections';
    const model = cost?.sizes
      .find((x) => x.assets === cost.headlineAssets)
      ?.functions.find((f) => f.handler === row.handler);
    let recommendedMb: number;
    let reason: string;
    if (synchronous) {
      // A caller waits on a cold start: keep init under a second if CPU-bound.
      recommendedMb = SIZES.find((mb) => mb >= roomy && (initMsAt[mb] as number) < 1000) ?? 1024;
      reason = `an HTTP caller waits: ${recommendedMb} MB keeps a CPU-bound init at ~${initMsAt[recommendedMb]} ms (${initMsAt[roomy]} ms at ${roomy} MB) and is ${(recommendedMb / peak).toFixed(1)}x the ${peak.toFixed(0)} MB peak`;
    } else {
      recommendedMb = roomy;
      reason = `asynchronous (a queue waits, not a person) and I/O-bound${model ? ` (${model.warmMs} ms a batch of ${model.batch.toFixed(2)}, almost all of it waiting on the target)` : ''}: the smallest size with 3x headroom over the ${peak.toFixed(0)} MB peak; ${Math.round((100 * roomy) / 512)}% of 512 MB's GB-seconds for the same duration`;
    }
    return {
      handler: row.handler,
      configuredMb: row.memoryMb,
      peakRssAfterImportMb: peak,
      initCpuMs,
      initMsAt,
      recommendedMb,
      reason,
    };
  });
