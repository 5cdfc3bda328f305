import { createWriteStream } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The stream comparison's count of what was sent (item 11), independent of the producer and of
 * the lake: an HTTP proxy between `events -- send` and the queue server that passes every request
 * through as it is and, for each SendMessageBatch entry the server answers as Successful, writes
 * the event's id and created_at, and when the tap saw it, as one CSV line. The SDK speaks SQS's
 * JSON protocol (X-Amz-Target: AmazonSQS.SendMessageBatch, application/x-amz-json-1.0).
 */

export interface QueueTap {
  /** What the producer is given as AWS_ENDPOINT_URL_SQS. */
  endpoint: string;
  /** Stops it and closes the file; resolves to the lines written and the entries that were not events. */
  stop(): Promise<{ lines: number; notEvents: number }>;
}

interface BatchRequest {
  Entries?: { Id: string; MessageBody: string }[];
}

interface BatchAnswer {
  Successful?: { Id: string }[];
}

/** data.id and meta.created_at of a message body, or undefined when it is not an event. */
function eventOf(body: string): { id: string; createdAtMs: number } | undefined {
  try {
    const parsed = JSON.parse(body) as { data?: { id?: unknown }; meta?: { created_at?: unknown } };
    const id = parsed.data?.id;
    const createdAtMs = parsed.meta?.created_at;
    return typeof id === 'string' && typeof createdAtMs === 'number' ? { id, createdAtMs } : undefined;
  } catch {
    return undefined;
  }
}

export async function startQueueTap(upstream: string, file: string): Promise<QueueTap> {
  const target = new URL(upstream);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const out = createWriteStream(file);
  out.write('id,created_at_ms,seen_at_ms\n');
  let lines = 0;
  let notEvents = 0;
  const record = (request: Buffer, answer: Buffer): void => {
    const entries = (JSON.parse(request.toString()) as BatchRequest).Entries ?? [];
    const accepted = new Set(((JSON.parse(answer.toString()) as BatchAnswer).Successful ?? []).map((e) => e.Id));
    const seenAtMs = Date.now();
    for (const entry of entries) {
      if (!accepted.has(entry.Id)) continue;
      const event = eventOf(entry.MessageBody);
      if (event === undefined) {
        notEvents += 1;
        continue;
      }
      // The generator's ids are UUIDs: nothing in them needs quoting in CSV.
      out.write(`${event.id},${event.createdAtMs},${seenAtMs}\n`);
      lines += 1;
    }
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const forward = http.request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent },
        (answer) => {
          const parts: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => parts.push(chunk));
          answer.on('end', () => {
            const answered = Buffer.concat(parts);
            if (answer.statusCode === 200 && req.headers['x-amz-target'] === 'AmazonSQS.SendMessageBatch') {
              record(body, answered);
            }
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            res.end(answered);
          });
        },
      );
      forward.on('error', (error) => {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`queue tap: ${error.message}`);
      });
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
      await new Promise<void>((resolve, reject) =>
        out.end((error?: Error | null) => (error ? reject(error) : resolve())),
      );
      return { lines, notEvents };
    },
  };
}
