import type { Logger } from 'pino';
import { setNotification } from '../../store/alarms/record-repository.js';
import type { Store } from '../../store/store.js';
import { type Clock, isoNow, systemClock } from '../clock.js';
import type { RecordView } from './views.js';

export interface AlarmNotification {
  event: 'ALARM_OPENED';
  project_id: string;
  instance_id: string;
  record: RecordView;
}

interface Delivery {
  url: string;
  notification: AlarmNotification;
}

/** Why a delivery failed, in a line an operator can act on. */
function describeFailure(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no answer within ${timeoutMs / 1000} s`;
  const cause = e.cause?.code ?? e.cause?.message;
  return (cause ? `${e.message ?? 'request failed'}: ${cause}` : (e.message ?? String(err))).slice(0, 500);
}

/**
 * POSTs notifications of opened alarms to their rules' webhooks, off the evaluator's path: one
 * attempt each with a timeout (a down receiver gets no storm of retries), a few at a time, the
 * outcome stored on the record and failures logged. Redirects are not followed.
 */
export class WebhookNotifier {
  private readonly queue: Delivery[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    private readonly timeoutMs: number,
    private readonly userAgent: string,
    private readonly clock: Clock = systemClock,
    private readonly maxInFlight = 8,
    private readonly maxQueued = 1000,
  ) {}

  /** Queues a delivery; returns at once. */
  send(url: string, notification: AlarmNotification): void {
    if (this.stopped || this.queue.length >= this.maxQueued) {
      void this.settle(
        notification.record.record_id,
        'FAILED',
        this.stopped ? 'not sent: the server was stopping' : 'not sent: too many notifications waiting',
      );
      return;
    }
    this.queue.push({ url, notification });
    this.pump();
  }

  private pump(): void {
    while (this.inFlight.size < this.maxInFlight && this.queue.length > 0) {
      const d = this.queue.shift() as Delivery;
      const p = this.deliver(d).finally(() => {
        this.inFlight.delete(p);
        this.pump();
      });
      this.inFlight.add(p);
    }
  }

  private async deliver(d: Delivery): Promise<void> {
    const id = d.notification.record.record_id;
    try {
      const res = await fetch(d.url, {
        method: 'POST',
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
        body: JSON.stringify(d.notification),
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': this.userAgent,
          'X-Lakeform-Event': d.notification.event,
          'X-Lakeform-Delivery': id,
        },
      });
      await res.body?.cancel().catch(() => undefined);
      if (res.status >= 200 && res.status < 300) return await this.settle(id, 'SENT', null);
      await this.settle(
        id,
        'FAILED',
        `the webhook answered HTTP ` +
          `${res.status}${res.status >= 300 && res.status < 400 ? ' (redirects are not followed)' : ''}`,
      );
    } catch (err) {
      await this.settle(id, 'FAILED', describeFailure(err, this.timeoutMs));
    }
  }

  private async settle(recordId: string, status: 'SENT' | 'FAILED', error: string | null): Promise<void> {
    if (error) this.log.warn({ record_id: recordId, reason: error }, 'alarm webhook notification failed');
    try {
      await setNotification(this.store.db, recordId, status, isoNow(this.clock), error);
    } catch (err) {
      this.log.error({ err, record_id: recordId }, 'could not store the outcome of an alarm notification');
    }
  }

  /**
   * Sends nothing more; what is queued is marked not sent; waits for deliveries under way (each bounded by the
   * timeout).
   */
  async stop(): Promise<void> {
    this.stopped = true;
    const dropped = this.queue.splice(0);
    await Promise.all([
      ...dropped.map((d) =>
        this.settle(d.notification.record.record_id, 'FAILED', 'not sent: the server was stopping'),
      ),
      ...this.inFlight,
    ]);
  }
}
