/**
 * Requests per instance since the last time the alarm evaluator looked. Counting is one map
 * update on the request path; the evaluator swaps the map out and stores what it needs.
 */
export class RequestCounter {
  private counts = new Map<string, number>();

  hit(instanceId: string): void {
    this.counts.set(instanceId, (this.counts.get(instanceId) ?? 0) + 1);
  }

  /** The counts since the previous drain; counting starts again from zero. */
  drain(): Map<string, number> {
    const taken = this.counts;
    this.counts = new Map();
    return taken;
  }
}
