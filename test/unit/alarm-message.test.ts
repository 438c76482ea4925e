/**
 * The Slack message of an alarm topic notification: CloudWatch's alarm JSON (ALARM, OK, the other
 * states) laid out block by block, the description's "Do:" set apart, the console link per partition,
 * Slack's limits under very long values, mrkdwn escaping, and anything that is not an alarm posted
 * as its text.
 */
import { describe, expect, it } from 'vitest';
import { SLACK_LIMITS, type SlackBlock, type SlackMessage } from '../../lambda/consumers/slack/message.ts';
import {
  ALARM_VALUE_LIMITS,
  alarmConsoleUrl,
  buildAlarmSlackMessage,
  type CloudWatchAlarmNotification,
  fitEscaped,
  NOT_AN_ALARM_NOTE,
  parseAlarmNotification,
  splitDescription,
  stateLook,
} from '../../lambda/domain/alarm-message.ts';

const DESCRIPTION =
  'The ingest function failed at least once in 5 minutes. Do: read the ingest log group for the cause, ' +
  'then check that reconciler-backlog returns to OK.';

/** What CloudWatch publishes to SNS for an alarm's state change (a real message's fields and shapes). */
const cloudWatchMessage = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  AlarmName: 'LeadsieWebhooks-ingest-errors',
  AlarmDescription: DESCRIPTION,
  AWSAccountId: '123456789012',
  AlarmConfigurationUpdatedTimestamp: '2026-06-01T09:00:00.000+0000',
  NewStateValue: 'ALARM',
  NewStateReason:
    'Threshold Crossed: 1 out of the last 1 datapoints [2.0 (14/06/26 10:00:00)] was greater than or equal to the threshold (1.0) (minimum 1 datapoint for OK -> ALARM transition).',
  StateChangeTime: '2026-06-14T10:05:12.345+0000',
  Region: 'EU (Ireland)',
  AlarmArn: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:LeadsieWebhooks-ingest-errors',
  OldStateValue: 'OK',
  OKActions: ['arn:aws:sns:eu-west-1:123456789012:LeadsieWebhooks-AlarmTopic'],
  AlarmActions: ['arn:aws:sns:eu-west-1:123456789012:LeadsieWebhooks-AlarmTopic'],
  InsufficientDataActions: [],
  Trigger: {
    MetricName: 'Errors',
    Namespace: 'AWS/Lambda',
    StatisticType: 'Statistic',
    Statistic: 'SUM',
    Unit: null,
    Dimensions: [{ value: 'LeadsieWebhooks-Ingest', name: 'FunctionName' }],
    Period: 300,
    EvaluationPeriods: 1,
    DatapointsToAlarm: 1,
    ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    Threshold: 1.0,
    TreatMissingData: 'notBreaching',
    EvaluateLowSampleCountPercentile: '',
  },
  ...overrides,
});

const messageOf = (overrides: Record<string, unknown> = {}, region?: string): SlackMessage =>
  buildAlarmSlackMessage(JSON.stringify(cloudWatchMessage(overrides)), { region });

/** Every text of a block, joined: what a reader sees of it. */
const textOf = (block: SlackBlock): string => {
  switch (block.type) {
    case 'header':
      return block.text.text;
    case 'section':
      return [block.text.text, ...(block.fields ?? []).map((f) => f.text)].join('\n');
    case 'context':
      return block.elements.map((e) => e.text).join('\n');
    case 'actions':
      return block.elements.map((e) => `${e.text.text} ${e.url}`).join('\n');
    case 'divider':
      return '';
  }
};
const allText = (message: SlackMessage) => message.blocks.map(textOf).join('\n');

/** Asserts every limit this module promises to keep. */
const expectWithinSlackLimits = (message: SlackMessage) => {
  expect(message.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fallbackText);
  expect(message.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocksPerMessage);
  for (const block of message.blocks) {
    if (block.type === 'header') expect(block.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.headerText);
    if (block.type === 'section') {
      expect(block.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
      expect((block.fields ?? []).length).toBeLessThanOrEqual(SLACK_LIMITS.sectionFields);
      for (const f of block.fields ?? [])
        expect(f.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionFieldText);
    }
    if (block.type === 'context') {
      for (const e of block.elements) expect(e.text.length).toBeLessThanOrEqual(SLACK_LIMITS.contextText);
    }
    if (block.type === 'actions') {
      for (const e of block.elements) expect(e.url.length).toBeLessThanOrEqual(SLACK_LIMITS.buttonUrl);
    }
  }
};

describe('an ALARM notification', () => {
  const message = messageOf();

  it('is laid out for a glance: state and name, why, what to do, what it means, where, the console link', () => {
    expect(message).toEqual({
      text: ':red_circle: ALARM: LeadsieWebhooks-ingest-errors — Threshold Crossed: 1 out of the last 1 datapoints [2.0 (14/06/26 10:00:00)] was greater than or equal to the threshold (1.0) (minimum 1 datapoint for OK -&gt; ALARM transition).',
      blocks: [
        {
          type: 'header',
          text: {
            type: 'plain_text',
            text: ':red_circle: ALARM: LeadsieWebhooks-ingest-errors',
            emoji: true,
          },
        },
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            verbatim: true,
            text: '*Why:* Threshold Crossed: 1 out of the last 1 datapoints [2.0 (14/06/26 10:00:00)] was greater than or equal to the threshold (1.0) (minimum 1 datapoint for OK -&gt; ALARM transition).',
          },
        },
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            verbatim: true,
            text: '*Do:* read the ingest log group for the cause, then check that reconciler-backlog returns to OK.',
          },
        },
        {
          type: 'context',
          elements: [
            {
              type: 'mrkdwn',
              verbatim: true,
              text: 'The ingest function failed at least once in 5 minutes.',
            },
          ],
        },
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            verbatim: true,
            text: '*State:* OK → ALARM since 2026-06-14T10:05:12.345+0000',
          },
          fields: [
            { type: 'mrkdwn', verbatim: true, text: '*Account*\n123456789012' },
            { type: 'mrkdwn', verbatim: true, text: '*Region*\neu-west-1' },
            { type: 'mrkdwn', verbatim: true, text: '*Metric*\nAWS/Lambda Errors' },
          ],
        },
        {
          type: 'actions',
          elements: [
            {
              type: 'button',
              text: { type: 'plain_text', text: 'Open in CloudWatch', emoji: false },
              url: 'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#alarmsV2:alarm/LeadsieWebhooks-ingest-errors',
              action_id: 'open_alarm',
            },
          ],
        },
      ],
    });
  });

  it('stays within every Slack limit', () => {
    expectWithinSlackLimits(message);
  });
});

describe('an OK notification', () => {
  const message = messageOf({
    NewStateValue: 'OK',
    OldStateValue: 'ALARM',
    NewStateReason:
      'Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as [NonBreaching].',
  });

  it('says OK with a green circle, and why', () => {
    expect(message.blocks[0]).toEqual({
      type: 'header',
      text: {
        type: 'plain_text',
        text: ':large_green_circle: OK: LeadsieWebhooks-ingest-errors',
        emoji: true,
      },
    });
    expect(message.text).toMatch(
      /^:large_green_circle: OK: LeadsieWebhooks-ingest-errors — Threshold Crossed: no datapoints/,
    );
    expect(allText(message)).toContain('*Why:* Threshold Crossed: no datapoints were received');
    expect(allText(message)).toContain('*State:* ALARM → OK since 2026-06-14T10:05:12.345+0000');
  });

  it('leaves the advice out (the problem is over) but keeps what the alarm means, and the link', () => {
    expect(allText(message)).not.toContain('*Do:*');
    expect(allText(message)).toContain('The ingest function failed at least once in 5 minutes.');
    expect(message.blocks.map((b) => b.type)).toEqual(['header', 'section', 'context', 'section', 'actions']);
  });
});

describe('states', () => {
  it.each([
    ['ALARM', ':red_circle:', 'ALARM'],
    ['OK', ':large_green_circle:', 'OK'],
    ['INSUFFICIENT_DATA', ':white_circle:', 'INSUFFICIENT DATA'],
    ['alarm', ':red_circle:', 'ALARM'],
    ['PAGED', ':grey_question:', 'PAGED'],
    ['  ', ':grey_question:', 'UNKNOWN STATE'],
  ])('%j looks like %s %s', (state, emoji, word) => {
    expect(stateLook(state)).toEqual({ emoji, word });
  });

  it('gives the advice for INSUFFICIENT_DATA (not OK: something may be missing)', () => {
    const message = messageOf({ NewStateValue: 'INSUFFICIENT_DATA' });
    expect(message.blocks[0]).toMatchObject({
      text: { text: ':white_circle: INSUFFICIENT DATA: LeadsieWebhooks-ingest-errors' },
    });
    expect(allText(message)).toContain('*Do:* read the ingest log group');
  });
});

describe('splitDescription', () => {
  it.each<[string | undefined, { meaning?: string; advice?: string }]>([
    [
      DESCRIPTION,
      {
        meaning: 'The ingest function failed at least once in 5 minutes.',
        advice: 'read the ingest log group for the cause, then check that reconciler-backlog returns to OK.',
      },
    ],
    ['Something broke.', { meaning: 'Something broke.' }],
    ['Do: restart it.', { advice: 'restart it.' }],
    ['Broken.\n\nDo:   fix\tit.', { meaning: 'Broken.', advice: 'fix it.' }],
    ['It broke; Do: fix it', { meaning: 'It broke;', advice: 'fix it' }],
    ['Undo: not advice. Redo:', { meaning: 'Undo: not advice. Redo:' }],
    ['Broken. Do:', { meaning: 'Broken.' }],
    ['', {}],
    [undefined, {}],
  ])('%j → %j', (description, expected) => {
    expect(splitDescription(description)).toEqual(expected);
  });
});

describe('the console link', () => {
  const alarm = (overrides: Partial<CloudWatchAlarmNotification>): CloudWatchAlarmNotification => ({
    alarmName: 'LeadsieWebhooks-ingest-errors',
    newState: 'ALARM',
    ...overrides,
  });

  it.each<[string, Partial<CloudWatchAlarmNotification>, string | undefined, string | undefined]>([
    [
      'from the AlarmArn (aws)',
      { alarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:x' },
      'eu-west-1',
      'https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#alarmsV2:alarm/LeadsieWebhooks-ingest-errors',
    ],
    [
      'from the AlarmArn (aws-cn)',
      { alarmArn: 'arn:aws-cn:cloudwatch:cn-north-1:123456789012:alarm:x' },
      undefined,
      'https://console.amazonaws.cn/cloudwatch/home?region=cn-north-1#alarmsV2:alarm/LeadsieWebhooks-ingest-errors',
    ],
    [
      'from the AlarmArn (aws-us-gov)',
      { alarmArn: 'arn:aws-us-gov:cloudwatch:us-gov-west-1:123456789012:alarm:x' },
      undefined,
      'https://console.amazonaws-us-gov.com/cloudwatch/home?region=us-gov-west-1#alarmsV2:alarm/LeadsieWebhooks-ingest-errors',
    ],
    [
      'from the function region without an AlarmArn',
      {},
      'ap-southeast-2',
      'https://ap-southeast-2.console.aws.amazon.com/cloudwatch/home?region=ap-southeast-2#alarmsV2:alarm/LeadsieWebhooks-ingest-errors',
    ],
    [
      'from the function region when the AlarmArn is not an alarm ARN',
      { alarmArn: 'arn:aws:sns:us-east-1:123456789012:topic' },
      'eu-central-1',
      'https://eu-central-1.console.aws.amazon.com/cloudwatch/home?region=eu-central-1#alarmsV2:alarm/LeadsieWebhooks-ingest-errors',
    ],
    ['none without a region', {}, undefined, undefined],
    ['none for a region that is not a region code', {}, 'evil.example/x?', undefined],
    [
      'with the name encoded',
      { alarmName: 'a b/c#d&e', alarmArn: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:a' },
      undefined,
      'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#alarmsV2:alarm/a%20b%2Fc%23d%26e',
    ],
  ])('%s', (_case, overrides, region, expected) => {
    expect(alarmConsoleUrl(alarm(overrides), region)).toBe(expected);
  });

  it('is left out of the message when the region is unknown, and the region name is shown instead', () => {
    const message = messageOf({ AlarmArn: undefined });
    expect(message.blocks.map((b) => b.type)).not.toContain('actions');
    expect(allText(message)).toContain('*Region*\nEU (Ireland)');
  });
});

describe('what an alarm notification holds is shown safely', () => {
  it('escapes mrkdwn in the name, reason and description, so nobody is pinged and no link is forged', () => {
    const message = messageOf({
      AlarmName: 'x<!channel>',
      NewStateReason: 'reason <https://evil.example|click> & more',
      AlarmDescription: 'Means <!here>. Do: visit <https://evil.example>',
    });
    // Every mrkdwn text (the header is plain text: shown as is, never markup).
    const text = message.blocks.slice(1).map(textOf).join('\n');
    expect(text).not.toMatch(/<[!h]/);
    expect(text).toContain('Means &lt;!here&gt;.');
    expect(message.text).toContain('ALARM: x&lt;!channel&gt;');
    expect(text).toContain('reason &lt;https://evil.example|click&gt; &amp; more');
    expect(message.text).not.toContain('<');
    // The header is plain text: shown as is, never markup.
    expect(message.blocks[0]).toMatchObject({
      type: 'header',
      text: { type: 'plain_text', text: ':red_circle: ALARM: x<!channel>' },
    });
  });

  it.each([
    ['a very long name', { AlarmName: 'n'.repeat(5000) }],
    ['a name of ampersands', { AlarmName: '&'.repeat(5000) }],
    ['a very long reason', { NewStateReason: '&<'.repeat(5000) }],
    ['a very long description', { AlarmDescription: `${'m&'.repeat(3000)} Do: ${'a<'.repeat(3000)}` }],
    ['a very long state change time', { StateChangeTime: '9'.repeat(5000) }],
    ['emoji everywhere', { AlarmName: '🚨'.repeat(400), NewStateReason: '👨‍👩‍👧'.repeat(800) }],
  ])('keeps within Slack limits with %s', (_case, overrides) => {
    const message = messageOf(overrides);
    expectWithinSlackLimits(message);
    expect(message.blocks[0]?.type).toBe('header');
  });

  it('never cuts an emoji or an escape in two', () => {
    expect(fitEscaped('&'.repeat(10), 12)).toBe('&amp;&amp;…');
    expect(fitEscaped('a👍b'.repeat(10), 5)).toBe('a👍b…');
    expect(fitEscaped('short & sweet', 100)).toBe('short &amp; sweet');
  });

  it('puts multi-line or control-laden values on one line', () => {
    const message = messageOf({ AlarmName: 'a\nb\u0007c', NewStateReason: 'x\r\n\ty' });
    expect(message.blocks[0]).toMatchObject({ text: { text: ':red_circle: ALARM: a bc' } });
    expect(allText(message)).toContain('*Why:* x y');
  });

  it('shows a minimal alarm (only a name and a state) with what it has', () => {
    const message = buildAlarmSlackMessage(JSON.stringify({ AlarmName: 'bare', NewStateValue: 'ALARM' }));
    expect(message).toEqual({
      text: ':red_circle: ALARM: bare',
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: ':red_circle: ALARM: bare', emoji: true } },
        { type: 'section', text: { type: 'mrkdwn', verbatim: true, text: '*State:* ALARM' } },
      ],
    });
  });

  it('ignores fields of the wrong type instead of failing', () => {
    const message = messageOf({
      NewStateReason: 42,
      AlarmDescription: null,
      AWSAccountId: 'not-an-account',
      Trigger: 'x',
    });
    expectWithinSlackLimits(message);
    expect(allText(message)).not.toContain('*Why:*');
    expect(allText(message)).toContain('*Account*\n123456789012'); // from the AlarmArn
    expect(allText(message)).not.toContain('*Metric*');
  });
});

describe('anything on the alarm topic that is not an alarm', () => {
  it.each<[string, string, string | null | undefined, string, string]>([
    [
      'plain text (the console test publish)',
      'Hello from the console',
      'Test',
      'Alarm topic: Test',
      '*Test*\nHello from the console',
    ],
    [
      'text without a subject',
      'Deploying at 18:00, expect a blip',
      undefined,
      'Alarm topic: Deploying at 18:00, expect a blip',
      'Deploying at 18:00, expect a blip',
    ],
    [
      'JSON that is not an alarm',
      '{"hello":"world"}',
      null,
      'Alarm topic: {"hello":"world"}',
      '{"hello":"world"}',
    ],
    [
      'JSON with a name but no state',
      '{"AlarmName":"x"}',
      null,
      'Alarm topic: {"AlarmName":"x"}',
      '{"AlarmName":"x"}',
    ],
    ['a JSON list', '[1,2]', null, 'Alarm topic: [1,2]', '[1,2]'],
    [
      'lines, kept',
      'line one\r\nline two\u0000',
      null,
      'Alarm topic: line one line two',
      'line one\nline two',
    ],
    [
      'markup, escaped',
      'ping <!channel> & <https://x|y>',
      null,
      'Alarm topic: ping &lt;!channel&gt; &amp; &lt;https://x|y&gt;',
      'ping &lt;!channel&gt; &amp; &lt;https://x|y&gt;',
    ],
    ['an empty message', '', '', 'Alarm topic: (empty message)', '_(empty message)_'],
  ])('posts %s as text', (_case, body, subject, text, section) => {
    const message = buildAlarmSlackMessage(body, { subject });
    expect(parseAlarmNotification(body)).toBeUndefined();
    expect(message).toEqual({
      text,
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', verbatim: true, text: section } },
        { type: 'context', elements: [{ type: 'mrkdwn', verbatim: true, text: NOT_AN_ALARM_NOTE }] },
      ],
    });
  });

  it('clips a huge message to fit Slack', () => {
    const message = buildAlarmSlackMessage('&'.repeat(300_000), { subject: 's'.repeat(500) });
    expectWithinSlackLimits(message);
    const section = message.blocks[0];
    expect(section?.type === 'section' && section.text.text.length).toBeLessThanOrEqual(
      ALARM_VALUE_LIMITS.plainText + ALARM_VALUE_LIMITS.subject + 3,
    );
  });
});
