// Ordering of engine answers in the UI. (The engine itself lets concurrent calls take turns per GPU chunk.)
//
// LatestOnly: typing produces many requests; only the newest one's answer may be shown. A request checks
// its ticket before it applies its result.

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
