/**
 * The stack's CloudWatch alarms and their states, for the Health page (`cloudwatch:DescribeAlarms`).
 *
 * The project has no CloudWatch SDK client, so this is the one call made by hand: the query API's
 * DescribeAlarms, signed with Signature Version 4 from the credentials of the SDK's default chain
 * (the same chain the CLI uses), at `AWS_ENDPOINT_URL_CLOUDWATCH`, else `AWS_ENDPOINT_URL`, else the
 * regional endpoint. Replacing it with @aws-sdk/client-cloudwatch changes this file only.
 */
import { createHash, createHmac } from 'node:crypto';

/** The credentials a signature needs (what the SDK's credential providers resolve to). */
export interface AwsCredentialIdentity {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

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

const SERVICE = 'monitoring';
const API_VERSION = '2010-08-01';
const TIMEOUT_MS = 15_000;

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');
const hmac = (key: Buffer | string, text: string): Buffer =>
  createHmac('sha256', key).update(text, 'utf8').digest();

/** RFC 3986 encoding, as Signature Version 4 wants it. */
const encode = (value: string): string =>
  encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** The headers of a signed request (Signature Version 4), `host` included; a POST unless `method` says otherwise. */
export const signedHeaders = (input: {
  url: URL;
  method?: 'GET' | 'POST';
  body: string;
  region: string;
  service: string;
  credentials: AwsCredentialIdentity;
  now: Date;
}): Record<string, string> => {
  const amzDate = input.now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const date = amzDate.slice(0, 8);
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
    host: input.url.host,
    'x-amz-date': amzDate,
    ...(input.credentials.sessionToken ? { 'x-amz-security-token': input.credentials.sessionToken } : {}),
  };
  const names = Object.keys(headers).sort();
  // The query's parameters sorted by name, each already encoded as the URL carries it.
  const query = [...input.url.searchParams]
    .map(([k, v]) => `${encode(k)}=${encode(v)}`)
    .sort()
    .join('&');
  const canonical = [
    input.method ?? 'POST',
    input.url.pathname || '/',
    query,
    ...names.map((name) => `${name}:${String(headers[name]).trim()}`),
    '',
    names.join(';'),
    sha256(input.body),
  ].join('\n');
  const scope = `${date}/${input.region}/${input.service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  let key = hmac(`AWS4${input.credentials.secretAccessKey}`, date);
  for (const part of [input.region, input.service, 'aws4_request']) key = hmac(key, part);
  const signature = createHmac('sha256', key).update(toSign, 'utf8').digest('hex');
  return {
    ...headers,
    authorization: `AWS4-HMAC-SHA256 Credential=${input.credentials.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`,
  };
};

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const decodeXml = (text: string): string =>
  text.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (whole, entity: string) => {
    if (entity.startsWith('#x') || entity.startsWith('#X'))
      return String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(Number(entity.slice(1)));
    return XML_ENTITIES[entity] ?? whole;
  });

const tag = (xml: string, name: string): string | null => {
  const match = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml);
  return match?.[1] === undefined ? null : decodeXml(match[1]);
};

/** The alarms of one DescribeAlarms answer (metric and composite alarms) and its NextToken. */
export const parseDescribeAlarms = (xml: string): { alarms: AlarmState[]; next: string | null } => {
  const alarms: AlarmState[] = [];
  for (const list of ['MetricAlarms', 'CompositeAlarms']) {
    const section = new RegExp(`<${list}>([\\s\\S]*?)</${list}>`).exec(xml)?.[1] ?? '';
    for (const member of section.match(/<member>[\s\S]*?<\/member>/g) ?? []) {
      const name = tag(member, 'AlarmName');
      if (name === null) continue;
      alarms.push({
        name,
        state: tag(member, 'StateValue') ?? 'UNKNOWN',
        reason: tag(member, 'StateReason') ?? '',
        updatedAt: tag(member, 'StateUpdatedTimestamp'),
      });
    }
  }
  // The answer's own NextToken sits after the alarm lists.
  const next = /<\/(?:MetricAlarms|CompositeAlarms)>\s*<NextToken>([\s\S]*?)<\/NextToken>/.exec(xml)?.[1];
  return { alarms, next: next ? decodeXml(next) : null };
};

export interface CloudWatchAlarmsOptions {
  region: () => Promise<string>;
  credentials: () => Promise<AwsCredentialIdentity>;
  env?: NodeJS.ProcessEnv;
}

export class CloudWatchAlarms implements AlarmReader {
  constructor(private readonly options: CloudWatchAlarmsOptions) {}

  private async endpoint(region: string): Promise<URL> {
    const env = this.options.env ?? process.env;
    const configured = env.AWS_ENDPOINT_URL_CLOUDWATCH || env.AWS_ENDPOINT_URL;
    return new URL(configured || `https://${SERVICE}.${region}.amazonaws.com/`);
  }

  async alarms(prefix: string): Promise<AlarmState[]> {
    const region = await this.options.region();
    const url = await this.endpoint(region);
    const found: AlarmState[] = [];
    let next: string | null = null;
    do {
      const credentials = await this.options.credentials();
      const params: [string, string][] = [
        ['Action', 'DescribeAlarms'],
        ['Version', API_VERSION],
        ['AlarmNamePrefix', prefix],
        ['AlarmTypes.member.1', 'MetricAlarm'],
        ['AlarmTypes.member.2', 'CompositeAlarm'],
        ...(next === null ? [] : ([['NextToken', next]] as [string, string][])),
      ];
      const body = params.map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&');
      const headers = signedHeaders({ url, body, region, service: SERVICE, credentials, now: new Date() });
      const { host: _host, ...sent } = headers;
      const response = await fetch(url, {
        method: 'POST',
        headers: sent,
        body,
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      const text = await response.text();
      if (!response.ok) {
        const code = tag(text, 'Code') ?? `HTTP ${response.status}`;
        const message = tag(text, 'Message') ?? text.slice(0, 200);
        const error = new Error(`${code}: ${message}`);
        error.name = code;
        throw error;
      }
      const page = parseDescribeAlarms(text);
      found.push(...page.alarms);
      next = page.next;
    } while (next !== null);
    return found.sort((a, b) => a.name.localeCompare(b.name));
  }
}
