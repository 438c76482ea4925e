/**
 * The Slack message of one notification on the alarm topic: a CloudWatch alarm changing state, or
 * anything else published there (the console's test publish, an operator's note), which is posted
 * as plain text rather than dropped.
 *
 * A CloudWatch alarm notification (the SNS message is JSON: AlarmName, AlarmDescription,
 * NewStateValue, OldStateValue, NewStateReason, StateChangeTime, Region, AlarmArn, AWSAccountId,
 * Trigger, …) becomes:
 *
 * ```
 * header   🔴 ALARM: LeadsieWebhooks-ingest-errors                     (plain_text, ≤ 150)
 * section  *Why:* Threshold Crossed: 1 out of the last 1 datapoints …   (NewStateReason)
 * section  *Do:* read the ingest function's log group …                 (the description after "Do:"; not on OK)
 * context  The ingest function failed at least once in 5 minutes …     (the description before "Do:")
 * section  *State:* OK → ALARM since <time>; fields: Account · Region · Metric
 * actions  [Open in CloudWatch] → the alarm in the CloudWatch console   (when its region is known)
 * ```
 *
 * The house alarms (`lib/constructs/monitoring.ts`) write their descriptions as "what it means. Do:
 * what to do", so the advice can be set apart; a description without "Do:" is shown whole as the
 * meaning. Every value is clipped and escaped to stay inside Slack's limits (`SLACK_LIMITS`), so no
 * alarm, however long its name or reason, makes Slack refuse the message.
 *
 * Pure: no I/O, the same message always gives the same Slack message.
 */
import {
  type ContextBlock,
  escapeMrkdwn,
  type MrkdwnTextObject,
  oneLine,
  SLACK_LIMITS,
  type SlackBlock,
  type SlackMessage,
  truncate,
} from '../consumers/slack/message.ts';

/** The fields of a CloudWatch alarm notification this module reads; the rest is ignored. */
export interface CloudWatchAlarmNotification {
  alarmName: string;
  newState: string;
  oldState?: string;
  reason?: string;
  description?: string;
  stateChangeTime?: string;
  /** The region's name as CloudWatch writes it ("EU (Ireland)"), not its code. */
  regionName?: string;
  alarmArn?: string;
  accountId?: string;
  metric?: { namespace?: string; name: string };
}

/** Options of {@link buildAlarmSlackMessage}. */
export interface AlarmMessageOptions {
  /** The SNS Subject of the notification (shown above a message that is not an alarm). */
  subject?: string | null;
  /**
   * The region code to link to when the notification has no AlarmArn (the function's own region:
   * alarms notify a topic of their own region).
   */
  region?: string;
}

/** Longest value of each kind, before escaping; every block stays within Slack's limits with these. */
export const ALARM_VALUE_LIMITS = {
  /** CloudWatch allows 255. */
  alarmName: 255,
  /** CloudWatch allows 1023. */
  reason: 1500,
  /** CloudWatch allows 1024 for the whole description. */
  description: 1500,
  field: 200,
  /** A message that is not an alarm (the section's 3000 less the subject's line). */
  plainText: 2600,
  subject: 200,
} as const;

interface StateLook {
  emoji: string;
  word: string;
}

const STATE_LOOKS: Record<string, StateLook> = {
  ALARM: { emoji: ':red_circle:', word: 'ALARM' },
  OK: { emoji: ':large_green_circle:', word: 'OK' },
  INSUFFICIENT_DATA: { emoji: ':white_circle:', word: 'INSUFFICIENT DATA' },
};

/** Emoji and word of a state: CloudWatch's three, or a neutral look showing the raw value. */
export const stateLook = (state: string): StateLook =>
  STATE_LOOKS[state.trim().toUpperCase()] ?? {
    emoji: ':grey_question:',
    word: truncate(oneLine(state), ALARM_VALUE_LIMITS.field) || 'UNKNOWN STATE',
  };

/**
 * `value` escaped for mrkdwn in at most `max` characters: the longest clip of it (cut between
 * graphemes, "…" included) whose escaped form fits, so an entity (`&amp;`) is never cut in two.
 */
export const fitEscaped = (value: string, max: number): string => {
  const escaped = escapeMrkdwn(value);
  if (escaped.length <= max) return escaped;
  // The escaped length grows with the clip's length: find the longest clip that fits.
  let low = 0;
  let high = max;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (escapeMrkdwn(truncate(value, mid)).length <= max) low = mid;
    else high = mid - 1;
  }
  return escapeMrkdwn(truncate(value, low));
};

// Control characters but line breaks and tabs, and the bidi controls (see slack-message.ts).
const CONTROL_BUT_LINES = /(?![\n\t])[\p{Cc}\u202A-\u202E\u2066-\u2069]/gu;

/** Text that keeps its lines (an operator's message): control characters go, line endings become `\n`. */
const multiLine = (text: string): string =>
  text.replace(/\r\n?/gu, '\n').replace(CONTROL_BUT_LINES, '').trim();

const mrkdwn = (text: string): MrkdwnTextObject => ({ type: 'mrkdwn', text, verbatim: true });

const stringField = (value: unknown): string | undefined =>
  typeof value === 'string' && oneLine(value) !== '' ? value : undefined;

/**
 * The alarm notification in an SNS message, or undefined when the message is not one: not JSON, not
 * an object, or without a non-empty `AlarmName` and `NewStateValue`.
 */
export const parseAlarmNotification = (message: string): CloudWatchAlarmNotification | undefined => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const raw = parsed as Record<string, unknown>;
  const alarmName = stringField(raw.AlarmName);
  const newState = stringField(raw.NewStateValue);
  if (alarmName === undefined || newState === undefined) return undefined;
  const trigger =
    raw.Trigger !== null && typeof raw.Trigger === 'object' ? (raw.Trigger as Record<string, unknown>) : {};
  const metricName = stringField(trigger.MetricName);
  const notification: CloudWatchAlarmNotification = { alarmName, newState };
  const optional: [keyof CloudWatchAlarmNotification, unknown][] = [
    ['oldState', raw.OldStateValue],
    ['reason', raw.NewStateReason],
    ['description', raw.AlarmDescription],
    ['stateChangeTime', raw.StateChangeTime],
    ['regionName', raw.Region],
    ['alarmArn', raw.AlarmArn],
    ['accountId', raw.AWSAccountId],
  ];
  for (const [key, value] of optional) {
    const text = stringField(value);
    if (text !== undefined) (notification as unknown as Record<string, unknown>)[key] = text;
  }
  if (metricName !== undefined) {
    notification.metric = { name: metricName, namespace: stringField(trigger.Namespace) };
  }
  return notification;
};

/**
 * A house alarm description split at its "Do:": what the alarm means, and what to do. Without a
 * "Do:", the whole description is the meaning.
 */
export const splitDescription = (description: string | undefined): { meaning?: string; advice?: string } => {
  const text = description === undefined ? '' : oneLine(description);
  if (text === '') return {};
  const match = /(^|[\s.;:!?])Do:\s*/u.exec(text);
  if (match === null) return { meaning: text };
  const meaning = text.slice(0, match.index + (match[1] ?? '').length).trim();
  const advice = text.slice(match.index + match[0].length).trim();
  return {
    ...(meaning === '' ? {} : { meaning }),
    ...(advice === '' ? {} : { advice }),
  };
};

const ALARM_ARN = /^arn:(aws|aws-cn|aws-us-gov):cloudwatch:([a-z]{2}(?:-[a-z]+)+-\d+):(\d{12}):alarm:/u;
const REGION_CODE = /^[a-z]{2}(?:-[a-z]+)+-\d+$/u;

/** The console host of a partition, for a region of it. */
const consoleHost = (partition: string, region: string): string | undefined => {
  if (partition === 'aws') return `${region}.console.aws.amazon.com`;
  if (partition === 'aws-cn') return 'console.amazonaws.cn';
  if (partition === 'aws-us-gov') return 'console.amazonaws-us-gov.com';
  return undefined;
};

const partitionOf = (region: string): string => {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
};

/** Where the alarm is: its region code and account, from its ARN first, else from the fields given. */
const locate = (
  alarm: CloudWatchAlarmNotification,
  fallbackRegion: string | undefined,
): { partition?: string; region?: string; accountId?: string } => {
  const arn = alarm.alarmArn === undefined ? null : ALARM_ARN.exec(alarm.alarmArn);
  const accountId =
    alarm.accountId !== undefined && /^\d{12}$/u.test(alarm.accountId) ? alarm.accountId : arn?.[3];
  if (arn) return { partition: arn[1], region: arn[2], accountId };
  if (fallbackRegion !== undefined && REGION_CODE.test(fallbackRegion)) {
    return { partition: partitionOf(fallbackRegion), region: fallbackRegion, accountId };
  }
  return { accountId };
};

/**
 * The alarm's page in the CloudWatch console, or undefined when its region is not known. The console
 * opens the alarm of that name in the region (and account) the operator is signed in to.
 */
export const alarmConsoleUrl = (
  alarm: CloudWatchAlarmNotification,
  fallbackRegion?: string,
): string | undefined => {
  const { partition, region } = locate(alarm, fallbackRegion);
  if (partition === undefined || region === undefined) return undefined;
  const host = consoleHost(partition, region);
  if (host === undefined) return undefined;
  const url = `https://${host}/cloudwatch/home?region=${region}#alarmsV2:alarm/${encodeURIComponent(alarm.alarmName)}`;
  return url.length <= SLACK_LIMITS.buttonUrl ? url : undefined;
};

const field = (label: string, value: string): MrkdwnTextObject =>
  mrkdwn(`*${label}*\n${fitEscaped(oneLine(value), ALARM_VALUE_LIMITS.field)}`);

/** The Slack message of a CloudWatch alarm notification. */
export const buildAlarmNotificationMessage = (
  alarm: CloudWatchAlarmNotification,
  options: AlarmMessageOptions = {},
): SlackMessage => {
  const look = stateLook(alarm.newState);
  const name = truncate(oneLine(alarm.alarmName), ALARM_VALUE_LIMITS.alarmName);
  const headerStart = `${look.emoji} ${look.word}: `;
  const header = `${headerStart}${truncate(name, SLACK_LIMITS.headerText - headerStart.length)}`;
  const isOk = look.word === 'OK';
  const { meaning, advice } = splitDescription(alarm.description);
  const reason = alarm.reason === undefined ? undefined : oneLine(alarm.reason);

  const blocks: SlackBlock[] = [{ type: 'header', text: { type: 'plain_text', text: header, emoji: true } }];
  if (reason !== undefined) {
    blocks.push({
      type: 'section',
      text: mrkdwn(`*Why:* ${fitEscaped(reason, ALARM_VALUE_LIMITS.reason)}`),
    });
  }
  // Back to OK, the advice is moot: the meaning still says what had been wrong.
  if (advice !== undefined && !isOk) {
    blocks.push({
      type: 'section',
      text: mrkdwn(`*Do:* ${fitEscaped(advice, ALARM_VALUE_LIMITS.description)}`),
    });
  }
  if (meaning !== undefined) {
    const context: ContextBlock = {
      type: 'context',
      elements: [mrkdwn(fitEscaped(meaning, ALARM_VALUE_LIMITS.description))],
    };
    blocks.push(context);
  }

  const { region, accountId } = locate(alarm, options.region);
  const transition =
    alarm.oldState === undefined ? look.word : `${stateLook(alarm.oldState).word} → ${look.word}`;
  const since =
    alarm.stateChangeTime === undefined
      ? ''
      : ` since ${fitEscaped(oneLine(alarm.stateChangeTime), ALARM_VALUE_LIMITS.field)}`;
  const fields: MrkdwnTextObject[] = [];
  if (accountId !== undefined) fields.push(field('Account', accountId));
  const regionText = region ?? alarm.regionName;
  if (regionText !== undefined) fields.push(field('Region', regionText));
  if (alarm.metric !== undefined) {
    const { namespace, name: metricName } = alarm.metric;
    fields.push(field('Metric', namespace === undefined ? metricName : `${namespace} ${metricName}`));
  }
  const stateText = mrkdwn(`*State:* ${fitEscaped(transition, ALARM_VALUE_LIMITS.field)}${since}`);
  blocks.push(
    fields.length === 0 ? { type: 'section', text: stateText } : { type: 'section', text: stateText, fields },
  );

  const url = alarmConsoleUrl(alarm, options.region);
  if (url !== undefined) {
    blocks.push({
      type: 'actions',
      elements: [
        {
          type: 'button',
          text: { type: 'plain_text', text: 'Open in CloudWatch', emoji: false },
          url,
          action_id: 'open_alarm',
        },
      ],
    });
  }

  const text = `${look.emoji} ${look.word}: ${escapeMrkdwn(name)}${
    reason === undefined ? '' : ` — ${fitEscaped(reason, 300)}`
  }`;
  return { text: truncate(text, SLACK_LIMITS.fallbackText), blocks };
};

/** The words under a message that is not an alarm, so nobody mistakes it for one. */
export const NOT_AN_ALARM_NOTE =
  'Not a CloudWatch alarm notification: posted as received on the alarm topic.';

/** The Slack message of anything on the alarm topic that is not an alarm notification: its text, as is. */
export const buildPlainNotificationMessage = (message: string, subject?: string | null): SlackMessage => {
  const body = multiLine(message);
  const title = subject === undefined || subject === null ? '' : oneLine(subject);
  const shownBody = body === '' ? '_(empty message)_' : fitEscaped(body, ALARM_VALUE_LIMITS.plainText);
  const shownTitle = title === '' ? '' : `*${fitEscaped(title, ALARM_VALUE_LIMITS.subject)}*\n`;
  const firstLine = oneLine(title !== '' ? title : body) || '(empty message)';
  return {
    text: `Alarm topic: ${fitEscaped(firstLine, 300)}`,
    blocks: [
      { type: 'section', text: mrkdwn(`${shownTitle}${shownBody}`) },
      { type: 'context', elements: [mrkdwn(NOT_AN_ALARM_NOTE)] },
    ],
  };
};

/**
 * The Slack message of one SNS message on the alarm topic: an alarm's state change laid out for a
 * glance, anything else posted as its text.
 */
export const buildAlarmSlackMessage = (message: string, options: AlarmMessageOptions = {}): SlackMessage => {
  const alarm = parseAlarmNotification(message);
  return alarm === undefined
    ? buildPlainNotificationMessage(message, options.subject)
    : buildAlarmNotificationMessage(alarm, options);
};
