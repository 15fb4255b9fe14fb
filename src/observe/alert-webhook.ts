/**
 * Alert webhooks: each alert event POSTed as JSON through the gateway's SSRF-guarded outbound
 * client, signed with HMAC-SHA256 over `<timestamp>.<body>` (headers X-Portcullis-Timestamp and
 * X-Portcullis-Signature: sha256=<hex>, so the receiver can refuse forgeries and replays),
 * retried with exponential backoff, from a bounded queue that never blocks a request.
 */
import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import type { OutboundClient } from '../core/outbound.js';
import type { AlertEvent } from './alerts.js';

/** Webhook settings. */
export interface WebhookOptions {
  readonly url: string;
  /** HMAC key. */
  readonly secret: string;
  readonly outbound: OutboundClient;
  readonly logger: Logger;
  /** Attempts after the first. */
  readonly retries: number;
  /** First backoff, ms; doubled each retry. */
  readonly backoffMs: number;
  readonly timeoutMs: number;
  /** Events waiting; beyond it the oldest are dropped (logged). */
  readonly maxQueue?: number;
  /** Clock, seconds since the epoch (tests). */
  readonly nowSec?: () => number;
}

/** The sender. */
export interface WebhookSender {
  send(event: AlertEvent): void;
  /** Resolves when the queue is empty (tests, shutdown). */
  idle(): Promise<void>;
  close(): void;
}

/**
 * The signature a receiver recomputes: `sha256=` HMAC-SHA256(secret, `${timestamp}.${body}`).
 *
 * @example
 * ```ts
 * signWebhook(secret, req.headers['x-portcullis-timestamp'], rawBody) === req.headers['x-portcullis-signature']
 * ```
 */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * Creates the sender.
 *
 * @example
 * ```ts
 * const hook = createWebhookSender({ url, secret, outbound, logger, retries: 3, backoffMs: 1000, timeoutMs: 5000 });
 * hook.send({ event: 'opened', alert });
 * ```
 */
export function createWebhookSender(options: WebhookOptions): WebhookSender {
  const maxQueue = options.maxQueue ?? 100;
  const nowSec = options.nowSec ?? (() => Math.floor(Date.now() / 1000));
  const queue: AlertEvent[] = [];
  let running: Promise<void> | undefined;
  let closed = false;
  const timers = new Set<NodeJS.Timeout>();
  const sleep = (ms: number) => new Promise<void>((ok) => {
    const t = setTimeout(() => {
      timers.delete(t);
      ok();
    }, ms);
    t.unref();
    timers.add(t);
  });

  const deliver = async (event: AlertEvent) => {
    const body = JSON.stringify({ source: 'portcullis', event: event.event, alert: event.alert });
    for (let attempt = 0; attempt <= options.retries && !closed; attempt++) {
      if (attempt > 0) await sleep(options.backoffMs * 2 ** (attempt - 1));
      const timestamp = String(nowSec());
      try {
        const res = await options.outbound.request({
          url: options.url, method: 'POST', timeoutMs: options.timeoutMs, maxBytes: 65_536, body,
          headers: { 'content-type': 'application/json', 'x-portcullis-timestamp': timestamp, 'x-portcullis-signature': signWebhook(options.secret, timestamp, body) },
        });
        if (res.status >= 200 && res.status < 300) return;
        options.logger.warn({ event: 'alert_webhook_failed', status: res.status, attempt }, 'alert webhook answered with an error');
        if (res.status >= 400 && res.status < 500 && res.status !== 429) return;
      } catch (error) {
        options.logger.warn({ event: 'alert_webhook_failed', code: (error as { code?: string }).code, attempt }, 'alert webhook could not be delivered');
      }
    }
    options.logger.error({ event: 'alert_webhook_gave_up', alert: event.alert.id }, 'alert webhook not delivered after retries');
  };

  const pump = async () => {
    while (queue.length > 0 && !closed) await deliver(queue.shift()!);
    running = undefined;
  };

  return {
    send(event) {
      if (closed) return;
      if (queue.length >= maxQueue) {
        queue.shift();
        options.logger.warn({ event: 'alert_webhook_dropped' }, 'alert webhook queue full: the oldest event was dropped');
      }
      queue.push(event);
      running ??= pump();
    },
    async idle() {
      while (running !== undefined) await running;
    },
    close() {
      closed = true;
      for (const t of timers) clearTimeout(t);
    },
  };
}
