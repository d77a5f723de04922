/** Where a service reads the time: the system's, or one a test moves forward instead of sleeping. */
export interface Clock {
  /** Milliseconds since the epoch, as Date.now(). */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** The clock's time as an ISO timestamp, the form the store keeps times in. */
export const isoNow = (clock: Clock): string => new Date(clock.now()).toISOString();
