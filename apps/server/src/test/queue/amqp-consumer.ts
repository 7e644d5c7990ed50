import amqp from 'amqplib';
import { newTaskId } from './harness.js';

export const PREFIX = 'exchange/taskcluster-queue/v1/';
const EXCHANGES = [
  'task-defined',
  'task-pending',
  'task-running',
  'artifact-created',
  'task-completed',
  'task-failed',
  'task-exception',
  'task-group-resolved',
  'task-group-sealed',
];

export interface Received {
  exchange: string;
  routingKey: string;
  cc: unknown;
  contentType: unknown;
  deliveryMode: unknown;
  body: any;
}

/** A consumer bound as a Pulse consumer would be: to every exchange, and to the routes. */
export class Consumer {
  /** Everything, through a queue bound with `#` to every exchange. */
  readonly all: Received[] = [];
  /** What reached a queue bound to the CC routes only (`route.#`). */
  readonly routed: Received[] = [];
  private connection: amqp.ChannelModel | undefined;
  private readonly suffix = newTaskId();

  constructor(private readonly url: string) {}

  /** Connects (again) and consumes from two durable queues, which survive a broker restart. */
  async connect(): Promise<void> {
    const connection = await amqp.connect(this.url, { timeout: 5000 });
    connection.on('error', () => undefined);
    this.connection = connection;
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    const queues = { all: `test-all-${this.suffix}`, routed: `test-routed-${this.suffix}` };
    for (const name of Object.values(queues)) await channel.assertQueue(name, { durable: true });
    for (const exchange of EXCHANGES) {
      await channel.assertExchange(PREFIX + exchange, 'topic', { durable: true });
      await channel.bindQueue(queues.all, PREFIX + exchange, '#');
      await channel.bindQueue(queues.routed, PREFIX + exchange, 'route.#');
    }
    const collect = (into: Received[]) => (msg: amqp.ConsumeMessage | null) => {
      if (!msg) return;
      into.push({
        exchange: msg.fields.exchange,
        routingKey: msg.fields.routingKey,
        cc: msg.properties.headers?.CC,
        contentType: msg.properties.contentType,
        deliveryMode: msg.properties.deliveryMode,
        body: JSON.parse(msg.content.toString('utf8')),
      });
    };
    await channel.consume(queues.all, collect(this.all), { noAck: true });
    await channel.consume(queues.routed, collect(this.routed), { noAck: true });
  }

  async close(): Promise<void> {
    await this.connection?.close().catch(() => undefined);
    this.connection = undefined;
  }
}

/** Polls until `ready` holds; fails after `ms` naming what it waited for. */
export async function waitFor(what: string, ready: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
