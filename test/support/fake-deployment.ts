/**
 * A "deployed" stack for CLI tests on moto: the webhook served on loopback by a real handler (API
 * Gateway's part: an HTTP request in, the handler's event out), and a CloudFormation stack whose
 * outputs name the resources a test made, as DescribeStacks shows them to the CLI.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { apiEvent } from './api-event.ts';
import type { HttpHandler } from './pipeline.ts';

export interface ServedHandler {
  /** `http://127.0.0.1:<port>`: routes are served under it. */
  baseUrl: string;
  close(): Promise<void>;
}

/** Serves `handler` on a free loopback port; any path and method reach it. */
export const serveHandler = async (handler: HttpHandler): Promise<ServedHandler> => {
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      const result = await handler(
        apiEvent({
          method: request.method ?? 'POST',
          path: url.pathname,
          query: Object.fromEntries(url.searchParams),
          headers: Object.fromEntries(
            Object.entries(request.headers).flatMap(([k, v]) => (typeof v === 'string' ? [[k, v]] : [])),
          ),
          body: Buffer.concat(chunks),
          // As API Gateway does for a body it does not know to be text: the bytes arrive exactly.
          base64: true,
        }),
      );
      response.writeHead(result.statusCode ?? 500, (result.headers ?? {}) as Record<string, string>);
      response.end(result.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};

/** Creates a stack with one placeholder resource and these outputs (by logical id). */
export const createFakeStack = async (
  cloudFormation: CloudFormationClient,
  name: string,
  outputs: Record<string, string>,
): Promise<void> => {
  await cloudFormation.send(
    new CreateStackCommand({
      StackName: name,
      TemplateBody: JSON.stringify({
        Resources: { Placeholder: { Type: 'AWS::CloudFormation::WaitConditionHandle' } },
        Outputs: Object.fromEntries(Object.entries(outputs).map(([key, value]) => [key, { Value: value }])),
      }),
    }),
  );
};
