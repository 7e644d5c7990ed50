import amqp from 'amqplib';
import type { Logger } from 'pino';

/** One message for the broker: where it goes and what it says. */
export interface AmqpMessage {
  readonly exchange: string;
  readonly routingKey: string;
  readonly cc: readonly string[];
  readonly body: Buffer;
}

export interface BrokerOptions {
  readonly url: string;
  /** Exchanges declared as soon as a channel opens; others are declared on first use. */
  readonly exchanges: readonly string[];
  /** First delay before reconnecting; doubled after each failed attempt. */
  readonly reconnectMinMs: number;
  /** The longest delay between attempts, however long the broker stays away. */
  readonly reconnectMaxMs: number;
}

/** How long a TCP connect to the broker may take before the attempt counts as failed. */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * The URL as it may be logged: scheme, user, host, port and vhost, never the password
 * (an AMQP URL usually carries one).
 */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    parsed.search = '';
    return parsed.toString();
  } catch {
    return '(unparseable AMQP URL)';
  }
}

/**
 * A connection to the AMQP broker with a confirm channel, kept open for as long as
 * the publisher runs: lost connections are re-established with exponential backoff
 * (with jitter, so replicas do not reconnect in step), forever. Nothing here throws
 * at the caller or blocks it: publish() rejects while the broker is away, and the
 * caller decides what to keep for later.
 *
 * A confirm channel rather than a plain one, because a plain channel's publish only
 * says the bytes were written to a socket: the broker may still drop them (the
 * connection dies a moment later, an exchange is missing). With confirms, a publish
 * resolves once the broker has taken the message (for a persistent message routed to
 * durable queues, written it to disk), so the caller knows what to send again.
 */
export class BrokerConnection {
  private model: amqp.ChannelModel | undefined;
  private channel: amqp.ConfirmChannel | undefined;
  private readonly declared = new Set<string>();
  private reconnectTimer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private connecting = false;
  private stopped = false;
  private readyWaiters: (() => void)[] = [];
  private readonly where: string;
  private readonly secrets: string[];

  constructor(
    private readonly options: BrokerOptions,
    private readonly logger: Logger,
  ) {
    this.where = redactedUrl(options.url);
    this.secrets = passwordsOf(options.url);
  }

  /** Whether a channel is open now (it may still close before the next publish). */
  get connected(): boolean {
    return this.channel !== undefined;
  }

  start(): void {
    void this.connect();
  }

  /** Resolves when a channel is open, at once if one is; never rejects. */
  ready(): Promise<void> {
    if (this.channel || this.stopped) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  /**
   * Publishes persistent JSON messages in order on the confirm channel, and resolves once
   * the broker has confirmed every one of them. Rejects (never throws) when there is
   * no channel, or when the channel closes or the broker refuses one of them; then
   * any of them may or may not have been delivered.
   */
  async publish(messages: readonly AmqpMessage[]): Promise<void> {
    const channel = this.channel;
    if (!channel) throw new Error('not connected to the AMQP broker');
    for (const exchange of new Set(messages.map((m) => m.exchange))) {
      if (!this.declared.has(exchange)) {
        await channel.assertExchange(exchange, 'topic', { durable: true });
        this.declared.add(exchange);
      }
    }
    const confirms = messages.map(
      (message) =>
        new Promise<void>((resolve, reject) => {
          channel.publish(
            message.exchange,
            message.routingKey,
            message.body,
            {
              persistent: true,
              contentType: 'application/json',
              contentEncoding: 'utf-8',
              ...(message.cc.length > 0 ? { CC: [...message.cc] } : {}),
            },
            (err: unknown) => (err ? reject(asError(err)) : resolve()),
          );
        }),
    );
    await Promise.all(confirms);
  }

  /** Closes the connection and stops reconnecting. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    this.wakeReadyWaiters();
    const model = this.model;
    this.model = undefined;
    this.channel = undefined;
    await model?.close().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.stopped || this.connecting || this.model) return;
    this.connecting = true;
    let model: amqp.ChannelModel | undefined;
    try {
      model = await amqp.connect(this.options.url, { timeout: CONNECT_TIMEOUT_MS });
      // Registered before anything else can fail: an 'error' event without a listener
      // would take the whole process down.
      model.on('error', (err: Error) => this.lost(model, err));
      model.on('close', (err?: Error) => this.lost(model, err));
      model.on('blocked', (reason: string) =>
        this.logger.warn({ broker: this.where, reason }, 'AMQP broker blocks publishing'),
      );
      model.on('unblocked', () =>
        this.logger.info({ broker: this.where }, 'AMQP broker accepts publishing again'),
      );
      const channel = await model.createConfirmChannel();
      channel.on('error', (err: Error) => this.lost(model, err));
      channel.on('close', () => this.lost(model, undefined));
      this.declared.clear();
      for (const exchange of this.options.exchanges) {
        await channel.assertExchange(exchange, 'topic', { durable: true });
        this.declared.add(exchange);
      }
      if (this.stopped) {
        await model.close().catch(() => undefined);
        return;
      }
      this.model = model;
      this.channel = channel;
      if (this.attempt > 0) {
        this.logger.info({ broker: this.where }, 'AMQP broker connection re-established');
      } else {
        this.logger.info({ broker: this.where }, 'connected to the AMQP broker');
      }
      this.attempt = 0;
      this.wakeReadyWaiters();
    } catch (err) {
      await model?.close().catch(() => undefined);
      this.logFailure(err);
      this.scheduleReconnect();
    } finally {
      this.connecting = false;
    }
  }

  /** The connection or its channel went away: drop both and start over. */
  private lost(model: amqp.ChannelModel | undefined, err: Error | undefined): void {
    if (model === undefined || this.model !== model) return;
    this.model = undefined;
    this.channel = undefined;
    // Closing the connection also ends a channel that is still open, so the next
    // connection starts from nothing.
    void model.close().catch(() => undefined);
    if (this.stopped) return;
    this.logger.warn(
      { broker: this.where, err: err ? this.scrubbed(err) : undefined },
      'AMQP broker connection lost; reconnecting',
    );
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    clearTimeout(this.reconnectTimer);
    const base = Math.min(
      this.options.reconnectMaxMs,
      this.options.reconnectMinMs * 2 ** Math.min(this.attempt, 20),
    );
    this.attempt += 1;
    // Between 75% and 100% of the backoff: replicas that lost the broker together
    // do not all knock again in the same millisecond.
    const delay = Math.round(base * (0.75 + Math.random() * 0.25));
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connect();
    }, delay);
    this.reconnectTimer.unref();
  }

  private logFailure(err: unknown): void {
    const scrubbed = this.scrubbed(asError(err));
    // The first failure and then every tenth: a broker away for hours must not flood the log.
    if (this.attempt === 0 || this.attempt % 10 === 0) {
      this.logger.warn(
        { broker: this.where, err: scrubbed, attempt: this.attempt + 1 },
        'cannot reach the AMQP broker; retrying',
      );
    }
  }

  /** An error as it may be logged: its message without the password, should it be there. */
  private scrubbed(err: Error): { message: string; code?: string } {
    let message = err.message;
    for (const secret of this.secrets) message = message.split(secret).join('***');
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' || typeof code === 'number'
      ? { message, code: String(code) }
      : { message };
  }

  private wakeReadyWaiters(): void {
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    for (const wake of waiters) wake();
  }
}

/** The password as written in the URL and decoded, whichever an error might quote. */
function passwordsOf(url: string): string[] {
  try {
    const raw = new URL(url).password;
    return [...new Set([raw, decodeURIComponent(raw)])].filter((p) => p !== '');
  } catch {
    return [];
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
