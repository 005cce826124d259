// Runs async sections one at a time. Kernel wrappers reuse their GPU buffers (Scratch), so a section that
// writes inputs, submits and reads results back must not interleave with another call's section; holding the
// lock per chunk (not per call) lets a short request slip in between the chunks of a long one.

export class Exclusive {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(section: () => Promise<T>): Promise<T> {
    const result = this.tail.then(section, section);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
