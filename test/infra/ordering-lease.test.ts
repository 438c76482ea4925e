/**
 * The CRM updater's ordering lease must outlast any invocation that can hold it: Lambda kills an
 * invocation at its timeout, so a lease longer than that never runs out under a live sender (an
 * older version could otherwise be sent after a newer one). The lease comes from the function's
 * HTTP timeout (`orderLeaseMs`), its length from the Subscriber: this holds the two together for
 * every function that runs `updateCrm` (HubSpot's, by its object type, and each forwarder's, by its format).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULTS, ENV } from '../../lambda/contract.ts';
import { orderLeaseMs } from '../../lambda/use-cases/update-crm.ts';
import { ALL_CONSUMERS, synthStack } from './support.ts';

interface FunctionProps {
  Timeout?: number;
  Environment?: { Variables?: Record<string, unknown> };
}

const { template } = synthStack({ consumers: ALL_CONSUMERS });
const crmFunctions = Object.entries(template.findResources('AWS::Lambda::Function'))
  .map(([id, resource]) => ({ id, props: resource.Properties as FunctionProps }))
  .filter(({ props }) => {
    const variables = props.Environment?.Variables ?? {};
    return variables[ENV.hubspotObjectType] !== undefined || variables[ENV.forwardFormat] !== undefined;
  });

describe('the ordering lease of the CRM updater functions', () => {
  it('finds the functions that run updateCrm (HubSpot and every forwarder)', () => {
    expect(crmFunctions.length).toBe(1 + ALL_CONSUMERS.forwarders.length);
  });

  it.each(crmFunctions.map((f) => [f.id, f.props] as const))(
    '%s: its lease is longer than its timeout',
    (_id, props) => {
      const httpTimeout = props.Environment?.Variables?.[ENV.httpTimeoutMs];
      const httpTimeoutMs = httpTimeout === undefined ? DEFAULTS.httpTimeoutMs : Number(httpTimeout);
      expect(props.Timeout).toBeDefined();
      expect(orderLeaseMs(httpTimeoutMs)).toBeGreaterThan((props.Timeout ?? Infinity) * 1000);
    },
  );
});
