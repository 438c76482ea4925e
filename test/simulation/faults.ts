/**
 * The seeded fault injector every port is wrapped in. A wrapped call first waits at the kernel's
 * gate (so actors interleave at every port call), then, while faults are on, may:
 *
 *   fail-before   throw before the call takes effect (a 5xx, a refused connection)
 *   fail-after    let the call take effect, then throw (the caller sees an error; the write happened)
 *   timeout       take long, then throw; the call took effect or not (a coin decides)
 *   throttle      throw the port's throttling error before any effect
 *   crash-before  the actor dies before the call
 *   crash-after   the call takes effect, then the actor dies
 */
import type { Actor, FaultKind, Kernel } from './kernel.ts';
import type { Rng } from './prng.ts';

export type CallFault =
  | 'fail-before'
  | 'fail-after'
  | 'timeout'
  | 'throttle'
  | 'crash-before'
  | 'crash-after';

export const CALL_FAULTS: readonly CallFault[] = [
  'fail-before',
  'fail-after',
  'timeout',
  'throttle',
  'crash-before',
  'crash-after',
];

/** How often each fault strikes a port call while faults are on. */
export type FaultRates = Record<CallFault, number>;

/** The errors a port throws, as its real adapter would (the callers classify them by name and type). */
export interface PortErrors {
  failure(method: string): Error;
  throttled(method: string): Error;
  timeout(method: string, tookEffect: boolean): Error;
}

export const namedError = (name: string, message: string): Error => {
  const error = new Error(message);
  error.name = name;
  return error;
};

export const awsErrors = (service: string, failure: string, throttled: string): PortErrors => ({
  failure: (method) => namedError(failure, `${service} ${method}: injected failure`),
  throttled: (method) => namedError(throttled, `${service} ${method}: injected throttling`),
  timeout: (method) => namedError('TimeoutError', `${service} ${method}: injected timeout`),
});

export class FaultInjector {
  enabled = true;
  constructor(
    private readonly kernel: Kernel,
    private readonly rng: Rng,
    readonly rates: FaultRates,
  ) {}

  heal(): void {
    this.enabled = false;
  }

  /** The fault for one call, if any. */
  pick(): CallFault | undefined {
    if (!this.enabled) return undefined;
    const roll = this.rng.next();
    let acc = 0;
    for (const kind of CALL_FAULTS) {
      acc += this.rates[kind];
      if (roll < acc) return kind;
    }
    return undefined;
  }

  /** A choice of a fault's detail (did a timed-out call take effect?). */
  coin(p: number): boolean {
    return this.rng.chance(p);
  }

  between(min: number, max: number): number {
    return this.rng.int(min, max);
  }

  /** A fault of the environment (not a port call) at probability `p`, counted when it strikes. */
  environment(p: number): boolean {
    return this.enabled && this.rng.chance(p);
  }

  count(actor: string, kind: FaultKind, what: string, subjects: string[]): void {
    this.kernel.record(actor, what, subjects, kind);
  }
}

/** The ids a call is about (eventIds, fingerprints, quarantine ids), for the trace of one failure. */
export const subjectsOf = (args: readonly unknown[]): string[] => {
  const found = new Set<string>();
  const visit = (value: unknown, depth: number): void => {
    if (typeof value === 'string') {
      // Ids, not times (ingest stamps `publishedAt` with the real clock).
      if (
        value.length >= 20 &&
        value.length <= 80 &&
        !value.includes(' ') &&
        !/^\d{4}-\d\d-\d\dT/.test(value)
      ) {
        found.add(value);
      }
      return;
    }
    if (depth > 1 || typeof value !== 'object' || value === null) return;
    for (const key of ['eventId', 'fingerprint', 'id']) {
      const field = (value as Record<string, unknown>)[key];
      if (typeof field === 'string') found.add(field);
    }
  };
  for (const arg of args) visit(arg, 0);
  return [...found];
};

export interface WrapOptions {
  /** Methods that return an async generator: each page read is a gated, faultable step. */
  generators?: readonly string[];
  /** Methods passed through without a gate or a fault (pure helpers). */
  passThrough?: readonly string[];
  /** Called after a call took effect and returned (whoever sees the result). */
  onEffect?: (method: string, args: unknown[], result: unknown) => void;
}

/**
 * `target` as one actor sees it: each method gated and faulted. A port's state lives in `target`;
 * the wrapper only decides when a call happens and what the caller sees.
 */
export const wrapPort = <T extends object>(
  kernel: Kernel,
  injector: FaultInjector,
  actor: Actor,
  port: string,
  target: T,
  errors: PortErrors,
  options: WrapOptions = {},
): T =>
  new Proxy(target, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      if (options.passThrough?.includes(property)) return value.bind(object);
      const label = `${port}.${property}`;
      if (options.generators?.includes(property)) {
        return (...args: unknown[]) =>
          gatedGenerator(kernel, injector, actor, label, errors, property, () =>
            (value as (...a: unknown[]) => AsyncGenerator<unknown>).apply(object, args),
          );
      }
      return async (...args: unknown[]) => {
        await kernel.gate(actor);
        const subjects = subjectsOf(args);
        const fault = injector.pick();
        const call = async () => {
          const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(object, args);
          options.onEffect?.(property, args, result);
          return result;
        };
        switch (fault) {
          case undefined: {
            kernel.record(actor.name, label, subjects);
            return call();
          }
          case 'fail-before':
            injector.count(actor.name, fault, label, subjects);
            throw errors.failure(property);
          case 'throttle':
            injector.count(actor.name, fault, label, subjects);
            throw errors.throttled(property);
          case 'fail-after':
            injector.count(actor.name, fault, label, subjects);
            await call();
            throw errors.failure(property);
          case 'timeout': {
            const tookEffect = injector.coin(0.5);
            injector.count(
              actor.name,
              fault,
              `${label} (${tookEffect ? 'took effect' : 'no effect'})`,
              subjects,
            );
            if (tookEffect) await call();
            kernel.elapse(injector.between(1_000, 30_000));
            throw errors.timeout(property, tookEffect);
          }
          case 'crash-before':
            injector.count(actor.name, fault, label, subjects);
            return kernel.crash(actor);
          case 'crash-after':
            injector.count(actor.name, fault, label, subjects);
            await call();
            return kernel.crash(actor);
        }
      };
    },
  });

async function* gatedGenerator(
  kernel: Kernel,
  injector: FaultInjector,
  actor: Actor,
  label: string,
  errors: PortErrors,
  method: string,
  open: () => AsyncGenerator<unknown>,
): AsyncGenerator<unknown> {
  const pages = open();
  for (;;) {
    await kernel.gate(actor);
    const fault = injector.pick();
    if (fault === 'crash-before' || fault === 'crash-after') {
      injector.count(actor.name, fault, `${label} page`, []);
      await kernel.crash(actor);
    }
    if (fault === 'fail-before' || fault === 'fail-after' || fault === 'timeout' || fault === 'throttle') {
      injector.count(actor.name, fault, `${label} page`, []);
      throw fault === 'throttle' ? errors.throttled(method) : errors.failure(method);
    }
    const next = await pages.next();
    kernel.record(actor.name, `${label} page`, []);
    if (next.done) return;
    yield next.value;
  }
}
