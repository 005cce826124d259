// Ordering of engine calls from the UI.
//
// SerialQueue: the engine's privatizer reuses its GPU scratch buffers across calls, so two calls in flight
// at once (a debounced re-privatise while the curves are being computed) could read each other's results.
// Every engine call that touches the GPU goes through one queue and runs alone.
//
// LatestOnly: typing produces many requests; only the newest one's answer may be shown. A request checks
// its ticket before it starts (stale ones are skipped while queued) and again before it applies its result.

export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;

  /** Runs `task` after every task queued before it has settled (whether it resolved or rejected). */
  run<T>(task: () => Promise<T>): Promise<T> {
    this.waiting++;
    const result = this.tail.then(
      () => task(),
      () => task(),
    );
    this.tail = result.then(
      () => this.waiting--,
      () => this.waiting--,
    );
    return result;
  }

  /** Tasks queued or running. */
  get size(): number {
    return this.waiting;
  }
}

export class LatestOnly {
  private latest = 0;

  /** A ticket for a new request; every earlier ticket becomes stale. */
  next(): number {
    return ++this.latest;
  }

  isLatest(ticket: number): boolean {
    return ticket === this.latest;
  }
}
