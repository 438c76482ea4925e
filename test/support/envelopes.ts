/** Envelopes of the sample payloads, as the consumers receive them, for the adapter tests. */
import { buildEnvelope, type ConnectionEvent } from '../../lambda/domain/envelope.ts';
import { parsedFixture } from '../unit/fixtures.ts';

/**
 * The envelope of the sample payload `fixture` (`v1-failed.json`, …): the event id, receive time
 * and version a test asserts on are given by the test; the fingerprint is a fixed placeholder.
 */
export const sampleEnvelope = (
  fixture: string,
  fields: { eventId: string; receivedAt: string; version: number },
): ConnectionEvent =>
  buildEnvelope({ payload: parsedFixture(fixture), fingerprint: `sha256:${'a'.repeat(64)}`, ...fields });
