/**
 * Secret values, read once per container and cached for a bounded time, so a rotated secret is
 * picked up within `maxAgeMs` without a read on every invocation. Values never reach a log.
 *
 * `RotatingSecret` is the token source of the HTTP functions: it accepts the secret's current value
 * and, for a grace period after a rotation, its previous one (see its comment).
 */
import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { anyTokenMatches } from '../domain/tokens.ts';

/** Something that yields the current value of one secret. */
export interface SecretSource {
  value(): Promise<string>;
}

/** The tokens a function accepts, checked in constant time against each (`domain/tokens.ts`). */
export interface AcceptedTokens {
  /** True when one of `presented` is accepted now. Rejects when the secret cannot be read. */
  accepts(presented: readonly string[]): Promise<boolean>;
}

/**
 * What an HTTP function checks a token against: a plain secret (exactly its value is accepted; local
 * mode and tests) or a source of accepted tokens such as `RotatingSecret`.
 */
export type TokenSource = SecretSource | AcceptedTokens;

/** True when one of `presented` is accepted by `source` (a plain secret accepts its value only). */
export const tokenAccepted = async (source: TokenSource, presented: readonly string[]): Promise<boolean> =>
  'accepts' in source ? source.accepts(presented) : anyTokenMatches(presented, [await source.value()]);

/** A fixed value: local mode and tests. */
export const staticSecret = (value: string): SecretSource => ({ value: async () => value });

/** A Secrets Manager secret by ARN, cached per container for `maxAgeMs`. */
export class CachedSecret implements SecretSource {
  private cached: { value: string; expiresAt: number } | undefined;
  private inFlight: Promise<string> | undefined;

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly secretId: string,
    private readonly maxAgeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async value(): Promise<string> {
    if (this.cached && this.cached.expiresAt > this.now()) return this.cached.value;
    // Concurrent callers share one read.
    this.inFlight ??= this.read().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async read(): Promise<string> {
    const result = await this.client.send(new GetSecretValueCommand({ SecretId: this.secretId }));
    if (typeof result.SecretString !== 'string' || result.SecretString === '') {
      throw new Error(`secret ${this.secretId} has no string value`);
    }
    this.cached = { value: result.SecretString, expiresAt: this.now() + this.maxAgeMs };
    return result.SecretString;
  }
}

/** The version stage Secrets Manager gives the value a `PutSecretValue` replaced. */
/** The staging label Secrets Manager moves the replaced value to on PutSecretValue. */
export const PREVIOUS_STAGE = 'AWSPREVIOUS';

/** Shortest time between two reads a presented-but-unknown token may cause, per container. */
export const DEFAULT_RECHECK_COOLDOWN_MS = 30_000;

export interface RotatingSecretOptions {
  /** How long the values read are used before the secret is read again (`ENV.secretMaxAgeSeconds`). */
  maxAgeMs: number;
  /** How long after the current version was created its previous one is still accepted (`ENV.tokenRotationGraceHours`). */
  graceMs: number;
  /**
   * Shortest time between a read and a re-read caused by a token that matched nothing cached.
   * @default DEFAULT_RECHECK_COOLDOWN_MS (30 s)
   */
  recheckCooldownMs?: number;
  /** The clock, in epoch milliseconds (tests move it). */
  now?: () => number;
}

interface Versions {
  current: string;
  /** When the current version was created (GetSecretValue's CreatedDate); the grace runs from here. */
  createdAt: number;
  readAt: number;
  /** The AWSPREVIOUS value: undefined until read, null when the secret has none. */
  previous?: string | null;
  /** The AWSPREVIOUS read in flight, shared by concurrent callers. */
  previousRead?: Promise<void>;
  /** The last failed AWSPREVIOUS read (it is tried again only after the cooldown). */
  previousFailure?: { at: number; error: unknown };
}

/**
 * A token secret that can be rotated without downtime: `cli rotate-token` puts a new value
 * (`PutSecretValue`), which Secrets Manager makes AWSCURRENT while the old value becomes AWSPREVIOUS.
 *
 * Accepted: the AWSCURRENT value; and the AWSPREVIOUS value while the current version is younger
 * than `graceMs` (its CreatedDate), so a leaked token stops working once the grace is over (or as
 * soon as `rotate-token --revoke-previous` takes the AWSPREVIOUS stage away, once the cache expires).
 *
 *   token presented ─▶ current (cached ≤ maxAgeMs) ── match ─▶ accepted
 *        │ no match
 *        ├─▶ in grace: AWSPREVIOUS (read once per cached current, then cached with it) ── match ─▶ accepted
 *        │ no match
 *        └─▶ last re-read ≥ cooldown ago: read the secret again (a rotation this container has not seen yet) ── match ─▶ accepted
 *                                                                                              otherwise ─▶ refused
 *
 * AWSPREVIOUS is read only when a token did not match the current one, so a container whose callers
 * send the current token makes one read per max age, as before. A wrong token costs at most one
 * AWSPREVIOUS read per cached current value (during a grace) and one re-read per cooldown, so
 * guessing cannot hammer Secrets Manager. Concurrent callers share each read; a failed read rejects
 * (the caller answers 503, retry later) and is not cached.
 */
export class RotatingSecret implements AcceptedTokens {
  private versions: Versions | undefined;
  private currentRead: Promise<Versions> | undefined;
  /**
   * When an unknown token last made this container read the secret again: the cooldown runs from
   * here. Not from the routine reads (every max age), or a token rotated just after one would be
   * refused for a whole cooldown, and a 401 keeps nothing.
   */
  private lastRecheckAt = Number.NEGATIVE_INFINITY;
  private readonly maxAgeMs: number;
  private readonly graceMs: number;
  private readonly cooldownMs: number;
  private readonly now: () => number;

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly secretId: string,
    options: RotatingSecretOptions,
  ) {
    this.maxAgeMs = options.maxAgeMs;
    this.graceMs = options.graceMs;
    this.cooldownMs = options.recheckCooldownMs ?? DEFAULT_RECHECK_COOLDOWN_MS;
    this.now = options.now ?? Date.now;
  }

  async accepts(presented: readonly string[]): Promise<boolean> {
    if (presented.length === 0) return false;
    const cached = this.versions;
    const fresh = !(cached && cached.readAt + this.maxAgeMs > this.now());
    let versions = fresh ? await this.readCurrent() : cached;
    if (await this.matches(presented, versions)) return true;
    // Unknown token: perhaps a rotation this container has not seen yet. Read again (unless the
    // value was just read for this very request), at most once per cooldown.
    if (fresh || this.now() - this.lastRecheckAt < this.cooldownMs) return false;
    this.lastRecheckAt = this.now();
    versions = await this.readCurrent();
    return this.matches(presented, versions);
  }

  /** Compares with the current value, then (reading it if need be) the previous one while in grace. */
  private async matches(presented: readonly string[], versions: Versions): Promise<boolean> {
    if (anyTokenMatches(presented, this.accepted(versions))) return true;
    if (!this.inGrace(versions) || versions.previous !== undefined) return false;
    await this.readPrevious(versions);
    return anyTokenMatches(presented, this.accepted(versions));
  }

  /** The accepted values, now: every one is compared, so the time tells nothing of which matched. */
  private accepted(versions: Versions): string[] {
    return this.inGrace(versions) && typeof versions.previous === 'string'
      ? [versions.current, versions.previous]
      : [versions.current];
  }

  private inGrace(versions: Versions): boolean {
    return this.now() < versions.createdAt + this.graceMs;
  }

  private readCurrent(): Promise<Versions> {
    // Concurrent callers share one read.
    this.currentRead ??= this.getCurrent().finally(() => {
      this.currentRead = undefined;
    });
    return this.currentRead;
  }

  private async getCurrent(): Promise<Versions> {
    const result = await this.client.send(new GetSecretValueCommand({ SecretId: this.secretId }));
    const current = stringValue(result.SecretString, this.secretId);
    // Without a creation date (Secrets Manager always sends one) no grace can be proven: none is given.
    const createdAt = result.CreatedDate?.getTime() ?? Number.NEGATIVE_INFINITY;
    // Nothing is carried over from an earlier read: a revoked AWSPREVIOUS stops working within a max age.
    this.versions = { current, createdAt, readAt: this.now() };
    return this.versions;
  }

  private readPrevious(versions: Versions): Promise<void> {
    const failure = versions.previousFailure;
    // A read that failed a moment ago fails again without asking: a flood of wrong tokens during an
    // outage makes one read per cooldown, and the caller still answers 503 (retry), not 401.
    if (failure && this.now() - failure.at < this.cooldownMs) return Promise.reject(failure.error);
    versions.previousRead ??= this.getPrevious()
      .then((previous) => {
        versions.previous = previous;
      })
      .catch((error: unknown) => {
        versions.previousFailure = { at: this.now(), error };
        throw error;
      })
      .finally(() => {
        versions.previousRead = undefined;
      });
    return versions.previousRead;
  }

  private async getPrevious(): Promise<string | null> {
    try {
      const result = await this.client.send(
        new GetSecretValueCommand({ SecretId: this.secretId, VersionStage: PREVIOUS_STAGE }),
      );
      return stringValue(result.SecretString, this.secretId);
    } catch (error) {
      // The secret was just read, so "not found" means no version holds the stage: never rotated, or revoked.
      if (error instanceof ResourceNotFoundException) return null;
      throw error;
    }
  }
}

const stringValue = (value: string | undefined, secretId: string): string => {
  if (typeof value !== 'string' || value === '') throw new Error(`secret ${secretId} has no string value`);
  return value;
};
