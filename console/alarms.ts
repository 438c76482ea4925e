/**
 * The stack's CloudWatch alarms and their states, for the Health page (`cloudwatch:DescribeAlarms`),
 * read with the operator's credentials through the same default chains the CLI's clients use.
 */
import {
  type CloudWatchClient,
  type CompositeAlarm,
  type MetricAlarm,
  paginateDescribeAlarms,
} from '@aws-sdk/client-cloudwatch';

export interface AlarmState {
  name: string;
  /** OK, ALARM or INSUFFICIENT_DATA. */
  state: string;
  reason: string;
  updatedAt: string | null;
}

export interface AlarmReader {
  /** Every alarm whose name starts with `prefix`, by name. */
  alarms(prefix: string): Promise<AlarmState[]>;
}

const stateOf = (alarm: MetricAlarm | CompositeAlarm): AlarmState | null =>
  alarm.AlarmName === undefined
    ? null
    : {
        name: alarm.AlarmName,
        state: alarm.StateValue ?? 'UNKNOWN',
        reason: alarm.StateReason ?? '',
        updatedAt: alarm.StateUpdatedTimestamp?.toISOString() ?? null,
      };

export class CloudWatchAlarms implements AlarmReader {
  constructor(private readonly client: CloudWatchClient) {}

  async alarms(prefix: string): Promise<AlarmState[]> {
    const found: AlarmState[] = [];
    const pages = paginateDescribeAlarms(
      { client: this.client },
      { AlarmNamePrefix: prefix, AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] },
    );
    for await (const page of pages) {
      for (const alarm of [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])]) {
        const state = stateOf(alarm);
        if (state) found.push(state);
      }
    }
    return found.sort((a, b) => a.name.localeCompare(b.name));
  }
}
