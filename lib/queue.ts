import { setTimeout as sleep } from 'node:timers/promises';
import {
  ChangeMessageVisibilityBatchCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  QueueDoesNotExist,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
  type BatchResultErrorEntry,
} from '@aws-sdk/client-sqs';
import type { StreamConfig } from './config';
import { ConfigError, QueueError, describeError } from './errors';

/**
 * The events queue, through the AWS SDK v3 (docs/stream.md): create it and its dead-letter queue
 * when missing, send in batches, long-poll, delete and extend in batches with every entry's
 * result checked, and count what is in it. A batch entry that fails for a reason the server may
 * get over (throttling, a fault of its own) is sent again; one the server refuses as the sender's
 * fault is reported to the caller, never dropped.
 */

/** Entries per batch call, and the bytes of a batch: SQS's limits (256 KiB, which every server takes). */
export const BATCH_ENTRIES = 10;
export const MAX_BATCH_BYTES = 256 * 1024;
const ENTRY_ATTEMPTS = 4;

export interface ReceivedMessage {
  id: string;
  receiptHandle: string;
  body: string;
  /** How often it has been received, this time included. */
  receiveCount: number;
  sentAtMs: number;
}

export interface Handle {
  id: string;
  receiptHandle: string;
}

export interface FailedEntry {
  id: string;
  code: string;
  message: string;
}

export interface QueueDepth {
  visible: number;
  inFlight: number;
  delayed: number;
  deadLetters: number;
}

export interface EventQueueOptions {
  /**
   * How long a request's connection may stay silent before the attempt fails (30 s: a long poll
   * is silent for up to its 20 s wait, so less than that would cut receives off).
   */
  idleTimeoutMs?: number;
  /** Attempts per request, the first included (the SDK's standard retry mode). */
  maxAttempts?: number;
}

function failure(entry: BatchResultErrorEntry): FailedEntry {
  return { id: entry.Id ?? '', code: entry.Code ?? 'unknown', message: entry.Message ?? '' };
}

/** Batch entries of handles, their ids the handles' indexes (SQS wants short ids, unique in the batch). */
const entriesOf = (handles: readonly Handle[]): { Id: string; ReceiptHandle: string }[] =>
  handles.map((handle, index) => ({ Id: String(index), ReceiptHandle: handle.receiptHandle }));

const withMessageIds = (failed: FailedEntry[], handles: readonly Handle[]): FailedEntry[] =>
  failed.map((entry) => ({ ...entry, id: handles[Number(entry.id)]?.id ?? entry.id }));

export class EventQueue {
  readonly client: SQSClient;
  readonly url: string;
  /** The URL the server itself gives the queue (a local server's has a host name of its own). */
  private serverUrl: string | undefined;

  constructor(
    private readonly config: StreamConfig,
    options: EventQueueOptions = {},
  ) {
    if (config.queueUrl === undefined) {
      throw new ConfigError(
        `no queue: ${config.origin}; start npm start (it runs a local one), or set EVENTS_QUEUE_URL`,
      );
    }
    this.url = config.queueUrl;
    // As in lib/objectStore.ts: the SDK's Node 20 warning on every process says nothing we can act on.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    this.client = new SQSClient({
      region: config.region,
      maxAttempts: options.maxAttempts ?? 3,
      // As in lib/objectStore.ts: socketTimeout, as requestTimeout only warns and waits on.
      requestHandler: { connectionTimeout: 3000, socketTimeout: options.idleTimeoutMs ?? 30_000 },
      // A local server answers with queue URLs of host names of its own (fauxqs:
      // sqs.us-east-1.localhost): requests go to the configured endpoint, whatever the URL says.
      ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint, useQueueUrlAsEndpoint: false }),
      ...(config.credentials === undefined ? {} : { credentials: config.credentials }),
    });
  }

  /** What a message names the queue by: its URL, and the endpoint when one is set. */
  describe(): string {
    return this.config.endpoint === undefined ? this.url : `${this.url} at ${this.config.endpoint}`;
  }

  private fail(action: string, error: unknown): QueueError {
    return new QueueError(`${action} on ${this.describe()} failed: ${describeError(error)}`, { cause: error });
  }

  /**
   * What requests name the queue by: on AWS its URL as configured; on another endpoint the one
   * the server answers for its name, since local servers resolve only their own form of URL.
   */
  private async target(): Promise<string> {
    if (this.config.endpoint === undefined) return this.url;
    this.serverUrl ??= await this.urlOf(this.config.queueName);
    if (this.serverUrl === undefined) {
      throw new QueueError(
        `the queue ${this.config.queueName} does not exist at ${this.config.endpoint}: ` +
          'npm run events -- consume creates it, or create it on the server (EVENTS_QUEUE_URL names it)',
      );
    }
    return this.serverUrl;
  }

  private async urlOf(name: string): Promise<string | undefined> {
    try {
      return (await this.client.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl;
    } catch (error) {
      if (error instanceof QueueDoesNotExist || (error as { name?: string }).name === 'QueueDoesNotExist')
        return undefined;
      throw this.fail(`looking up the queue ${name}`, error);
    }
  }

  /**
   * Creates the dead-letter queue and the queue (receives before the DLQ, visibility) when
   * missing; a queue that exists keeps its own settings (the ones of elasticmq.conf, or of AWS).
   */
  async ensure(): Promise<{ created: string[] }> {
    const created: string[] = [];
    let dlqUrl = await this.urlOf(this.config.dlqName);
    try {
      if (dlqUrl === undefined) {
        dlqUrl = (await this.client.send(new CreateQueueCommand({ QueueName: this.config.dlqName }))).QueueUrl!;
        created.push(this.config.dlqName);
      }
      if ((await this.urlOf(this.config.queueName)) === undefined) {
        const { Attributes } = await this.client.send(
          new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }),
        );
        await this.client.send(
          new CreateQueueCommand({
            QueueName: this.config.queueName,
            Attributes: {
              VisibilityTimeout: String(this.config.visibilityTimeoutS),
              // Retention as long as SQS allows: a consumer stopped over a weekend loses nothing.
              MessageRetentionPeriod: String(14 * 86400),
              RedrivePolicy: JSON.stringify({
                deadLetterTargetArn: Attributes!.QueueArn,
                maxReceiveCount: this.config.maxReceiveCount,
              }),
            },
          }),
        );
        created.push(this.config.queueName);
      }
    } catch (error) {
      throw this.fail('creating the queues', error);
    }
    return { created };
  }

  /** The queue's visibility timeout, in seconds: how long a consumer holds a message before it comes back. */
  async visibilityTimeout(): Promise<number> {
    const attributes = await this.attributes(await this.target(), ['VisibilityTimeout']);
    return Number(attributes.VisibilityTimeout ?? this.config.visibilityTimeoutS);
  }

  private async attributes(url: string, names: string[]): Promise<Record<string, string>> {
    try {
      const answer = await this.client.send(
        new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: names as never }),
      );
      return answer.Attributes ?? {};
    } catch (error) {
      throw this.fail('reading the attributes', error);
    }
  }

  /**
   * One batch (at most BATCH_ENTRIES bodies, MAX_BATCH_BYTES in all); entries the server failed
   * on its side are sent again, those it refused come back with the server's reason and, as id,
   * their index in `bodies`.
   */
  async sendBatch(bodies: readonly string[], signal?: AbortSignal): Promise<FailedEntry[]> {
    const entries = bodies.map((body, index) => ({ Id: String(index), MessageBody: body }));
    const url = await this.target();
    return this.eachEntry('sending a batch', entries, async (pending) => {
      const command = new SendMessageBatchCommand({ QueueUrl: url, Entries: pending });
      return (await this.client.send(command, signal === undefined ? {} : { abortSignal: signal })).Failed;
    });
  }

  /** A long poll: up to `max` messages, waiting up to `waitS` for the first. An abort ends it with none. */
  async receive(max: number, waitS: number, signal?: AbortSignal): Promise<ReceivedMessage[]> {
    try {
      const answer = await this.client.send(
        new ReceiveMessageCommand({
          QueueUrl: await this.target(),
          MaxNumberOfMessages: max,
          WaitTimeSeconds: waitS,
          MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
        }),
        signal === undefined ? {} : { abortSignal: signal },
      );
      return (answer.Messages ?? []).map((message) => ({
        id: message.MessageId!,
        receiptHandle: message.ReceiptHandle!,
        body: message.Body ?? '',
        receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 1),
        sentAtMs: Number(message.Attributes?.SentTimestamp ?? Date.now()),
      }));
    } catch (error) {
      if (signal?.aborted === true) return [];
      throw this.fail('receiving', error);
    }
  }

  /** Deletes one batch; returns the entries that still failed after retries, with the server's reason. */
  async deleteBatch(handles: readonly Handle[]): Promise<FailedEntry[]> {
    const url = await this.target();
    const failed = await this.eachEntry('deleting a batch', entriesOf(handles), async (pending) => {
      const command = new DeleteMessageBatchCommand({ QueueUrl: url, Entries: pending });
      return (await this.client.send(command)).Failed;
    });
    return withMessageIds(failed, handles);
  }

  /** Sets the visibility of one batch to `timeoutS` from now; returns the entries that failed. */
  async extendBatch(handles: readonly Handle[], timeoutS: number): Promise<FailedEntry[]> {
    const url = await this.target();
    const failed = await this.eachEntry('extending the visibility of a batch', entriesOf(handles), async (pending) => {
      const command = new ChangeMessageVisibilityBatchCommand({
        QueueUrl: url,
        Entries: pending.map((entry) => ({ ...entry, VisibilityTimeout: timeoutS })),
      });
      return (await this.client.send(command)).Failed;
    });
    return withMessageIds(failed, handles);
  }

  /** A batch call, sent again for the entries that failed on the server's side; returns the others that failed. */
  private async eachEntry<E extends { Id: string }>(
    action: string,
    entries: E[],
    send: (pending: E[]) => Promise<BatchResultErrorEntry[] | undefined>,
  ): Promise<FailedEntry[]> {
    let pending = entries;
    const refused: FailedEntry[] = [];
    for (let attempt = 1; pending.length > 0; attempt++) {
      let failed: BatchResultErrorEntry[];
      try {
        failed = (await send(pending)) ?? [];
      } catch (error) {
        throw this.fail(action, error);
      }
      const serverSide = failed.filter((entry) => entry.SenderFault !== true);
      refused.push(...failed.filter((entry) => entry.SenderFault === true).map(failure));
      if (serverSide.length === 0) break;
      if (attempt === ENTRY_ATTEMPTS) {
        refused.push(...serverSide.map(failure));
        break;
      }
      const again = new Set(serverSide.map((entry) => entry.Id));
      pending = pending.filter((entry) => again.has(entry.Id));
      await sleep(100 * 2 ** attempt);
    }
    return refused;
  }

  /** What the queue and its dead-letter queue hold now (SQS's approximate counts). */
  async depth(): Promise<QueueDepth> {
    const names = [
      'ApproximateNumberOfMessages',
      'ApproximateNumberOfMessagesNotVisible',
      'ApproximateNumberOfMessagesDelayed',
    ];
    const main = await this.attributes(await this.target(), names);
    const dlqUrl = await this.urlOf(this.config.dlqName);
    const dlq = dlqUrl === undefined ? {} : await this.attributes(dlqUrl, ['ApproximateNumberOfMessages']);
    return {
      visible: Number(main.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(main.ApproximateNumberOfMessagesNotVisible ?? 0),
      delayed: Number(main.ApproximateNumberOfMessagesDelayed ?? 0),
      deadLetters: Number(dlq.ApproximateNumberOfMessages ?? 0),
    };
  }

  close(): void {
    this.client.destroy();
  }
}
