/**
 * Secret values, read once per container and cached for a bounded time, so a rotated secret is
 * picked up within `maxAgeMs` without a read on every invocation. Values never reach a log.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** Something that yields the current value of one secret. */
export interface SecretSource {
  value(): Promise<string>;
}

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
