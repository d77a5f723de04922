import type { Logger } from 'pino';
import type { InstanceService } from './instance-service.js';

/**
 * Drives instances through their asynchronous states. A change on this replica kicks it at
 * once; a periodic sweep picks up work left by restarts, other replicas, and recycle-bin expiry.
 * Other sweeps ride along (the metadata recycle bin's purge): each claims its rows the same way.
 */
export class LifecycleWorker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    private readonly instances: InstanceService,
    private readonly log: Logger,
    private readonly sweepMs = 2000,
    private readonly passes: { name: string; run: () => Promise<unknown> }[] = [],
  ) {}

  start(): void {
    this.instances.onChange = () => this.kick();
    this.timer = setInterval(() => this.kick(), this.sweepMs);
    this.timer.unref();
    this.kick();
  }

  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await this.instances.advanceLifecycle();
        } catch (err) {
          this.log.error({ err }, 'instance lifecycle pass failed');
        }
        for (const p of this.passes) {
          try {
            await p.run();
          } catch (err) {
            this.log.error({ err }, `${p.name} pass failed`);
          }
        }
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.running = undefined;
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
