/**
 * Lets a loop sleep until there is work for it, instead of checking every few milliseconds:
 * `wait()` resolves at the next `wake()` (or at once when a wake-up came since the last
 * wait), or when the signal aborts. One waiter at a time.
 */
export class Wakeup {
  private pending = false;
  private waiter: (() => void) | undefined;

  constructor(private readonly signal: AbortSignal) {
    signal.addEventListener('abort', () => this.release(), { once: true });
  }

  wake(): void {
    this.pending = true;
    this.release();
  }

  wait(): Promise<void> {
    if (this.pending || this.signal.aborted) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  private release(): void {
    const waiter = this.waiter;
    if (!waiter) return;
    this.waiter = undefined;
    this.pending = false;
    waiter();
  }
}
