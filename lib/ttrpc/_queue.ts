// A pull-based message queue for one stream: the producer pushes frames' payloads, the consumer
// awaits `next()`. `onLevel` tells the owner when the queue fills or drains, so it can pause and
// resume the socket instead of buffering without bound.
export const QUEUE_HIGH_WATER = 64;

export class MessageQueue {
  private items: Uint8Array[] = [];
  private waiters: { resolve: (v: Uint8Array | null) => void; reject: (e: Error) => void }[] = [];
  private ended = false;
  private error?: Error;
  private full = false;

  constructor(private readonly onLevel: (full: boolean) => void = () => {}) {}

  push(m: Uint8Array): void {
    if (this.ended) return;
    const w = this.waiters.shift();
    if (w) {
      w.resolve(m);
      return;
    }
    this.items.push(m);
    this.level();
  }

  /** No more messages: pending and future `next()` calls resolve null (or reject with err). */
  end(err?: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.error = err;
    if (err) this.items = [];
    if (this.full) {
      this.full = false;
      this.onLevel(false);
    }
    for (const w of this.waiters.splice(0)) err ? w.reject(err) : w.resolve(null);
  }

  next(): Promise<Uint8Array | null> {
    const m = this.items.shift();
    if (m) {
      this.level();
      return Promise.resolve(m);
    }
    if (this.ended) return this.error ? Promise.reject(this.error) : Promise.resolve(null);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private level(): void {
    const full = !this.ended && this.items.length >= QUEUE_HIGH_WATER;
    if (full !== this.full) {
      this.full = full;
      this.onLevel(full);
    }
  }
}
