/**
 * The one classifier of publish failures: what the topic will never accept (quarantine) against what
 * may pass (503, stays pending). The errors are shaped as AWS SDK v3 throws them.
 */
import { describe, expect, it } from 'vitest';
import { classifyPublishFailure } from '../../lambda/domain/publish-failure.ts';

const sdkError = (name: string, status: number, fault: 'client' | 'server') =>
  Object.assign(new Error(`${name} happened`), {
    name,
    $fault: fault,
    $metadata: { httpStatusCode: status },
  });

describe('classifyPublishFailure', () => {
  it.each([
    ['a lone surrogate the SDK cannot encode', new URIError('URI malformed')],
    ['a value the SDK cannot lay out', new RangeError('Invalid string length')],
    ['SNS refusing a parameter', sdkError('InvalidParameterException', 400, 'client')],
    ['SNS refusing a value (message too long)', sdkError('InvalidParameterValueException', 400, 'client')],
    ['the error code as the query protocol names it', sdkError('InvalidParameter', 400, 'client')],
    ['a validation error', sdkError('ValidationError', 400, 'client')],
    ['a required parameter missing', sdkError('MissingParameter', 400, 'client')],
  ])('permanent: %s', (_, error) => {
    expect(classifyPublishFailure(error).permanent).toBe(true);
  });

  it.each([
    ['throttling', sdkError('ThrottlingException', 400, 'client')],
    ['SNS throttled', sdkError('Throttled', 429, 'client')],
    ['a 5xx', sdkError('InternalErrorException', 500, 'server')],
    ['a network error', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })],
    ['a timeout', sdkError('TimeoutError', 0, 'client')],
    ['the topic missing (the topic, not the message)', sdkError('NotFoundException', 404, 'client')],
    ['no permission (the topic, not the message)', sdkError('AuthorizationErrorException', 403, 'client')],
    ['the key disabled (the topic, not the message)', sdkError('KMSDisabledException', 400, 'client')],
    ['something that is not an Error', 'boom'],
  ])('transient: %s', (_, error) => {
    expect(classifyPublishFailure(error).permanent).toBe(false);
  });

  it('names the error and its message in the reason, cut short', () => {
    expect(classifyPublishFailure(new URIError('URI malformed')).reason).toBe('URIError: URI malformed');
    const long = classifyPublishFailure(new Error('x'.repeat(1000))).reason;
    expect(long.length).toBeLessThanOrEqual(300);
    expect(long.endsWith('…')).toBe(true);
  });
});
