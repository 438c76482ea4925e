/**
 * SNS subscription filter policies (message-attribute scope), evaluated locally so local mode
 * delivers to exactly the consumers SNS would. Covers what SNS documents for attribute policies:
 * exact strings and numbers, `anything-but` (a value or a list), `prefix`, `suffix`,
 * `equals-ignore-case`, `exists`, and `numeric` comparisons; keys are ANDed, the values of one key
 * ORed; a `String.Array` attribute matches when any of its elements does.
 *
 * One evaluator for local mode's topic, replay to one consumer and `events show` (which works out
 * whether a subscription filter kept an event away from a consumer).
 */

/** A message attribute as SNS carries it (the SDK's `MessageAttributeValue`, as far as filters read it). */
export interface MessageAttributeValue {
  DataType: string | undefined;
  StringValue?: string | undefined;
}

export type FilterPolicy = Record<string, unknown[]>;

type AttributeValues = Record<string, MessageAttributeValue>;

/** The values SNS compares for an attribute: the elements of a String.Array, else the one value. */
const valuesOf = (attribute: MessageAttributeValue): (string | number)[] => {
  const raw = attribute.StringValue ?? '';
  if (attribute.DataType === 'String.Array') {
    try {
      const parsed = JSON.parse(raw) as unknown;
      if (Array.isArray(parsed)) {
        return parsed.filter((v): v is string | number => typeof v === 'string' || typeof v === 'number');
      }
    } catch {
      return [];
    }
    return [];
  }
  if (attribute.DataType === 'Number') return [Number(raw)];
  return [raw];
};

const numericMatch = (value: number, conditions: unknown[]): boolean => {
  for (let i = 0; i + 1 < conditions.length; i += 2) {
    const op = conditions[i];
    const bound = Number(conditions[i + 1]);
    const ok =
      (op === '=' && value === bound) ||
      (op === '>' && value > bound) ||
      (op === '>=' && value >= bound) ||
      (op === '<' && value < bound) ||
      (op === '<=' && value <= bound);
    if (!ok) return false;
  }
  return conditions.length >= 2;
};

/** Does one attribute value satisfy one condition of a policy's value list? */
const conditionMatches = (condition: unknown, value: string | number): boolean => {
  if (typeof condition === 'string' || typeof condition === 'number') return condition === value;
  if (typeof condition !== 'object' || condition === null) return false;
  const rule = condition as Record<string, unknown>;
  if ('prefix' in rule) return typeof value === 'string' && value.startsWith(String(rule.prefix));
  if ('suffix' in rule) return typeof value === 'string' && value.endsWith(String(rule.suffix));
  if ('equals-ignore-case' in rule) {
    return (
      typeof value === 'string' && value.toLowerCase() === String(rule['equals-ignore-case']).toLowerCase()
    );
  }
  if ('numeric' in rule) return typeof value === 'number' && numericMatch(value, rule.numeric as unknown[]);
  if ('anything-but' in rule) {
    const excluded = rule['anything-but'];
    if (Array.isArray(excluded)) return !excluded.includes(value);
    if (typeof excluded === 'object' && excluded !== null && 'prefix' in excluded) {
      return !(
        typeof value === 'string' && value.startsWith(String((excluded as { prefix: unknown }).prefix))
      );
    }
    return excluded !== value;
  }
  return false;
};

/** True when a message with these attributes passes the policy (no policy: everything passes). */
export const matchesFilterPolicy = (
  policy: FilterPolicy | undefined,
  attributes: AttributeValues,
): boolean => {
  if (!policy || Object.keys(policy).length === 0) return true;
  // SNS: a message without any attributes matches no attribute policy, not even `exists: false`.
  if (Object.keys(attributes).length === 0) return false;
  return Object.entries(policy).every(([key, conditions]) => {
    const attribute = attributes[key];
    const values = attribute === undefined ? [] : valuesOf(attribute);
    // The conditions of one key are ORed; `exists` speaks of presence, the others of the values.
    return conditions.some((condition) => {
      if (typeof condition === 'object' && condition !== null && 'exists' in condition) {
        return (condition as { exists: boolean }).exists === (attribute !== undefined);
      }
      return values.some((value) => conditionMatches(condition, value));
    });
  });
};
