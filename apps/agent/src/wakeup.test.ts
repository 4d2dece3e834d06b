import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Wakeup } from './wakeup.js';

/** Whether `promise` has settled once the microtasks queued so far have run (no timers involved). */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(() => {
    done = true;
  });
  await new Promise<void>((resolve) => setImmediate(resolve));
  return done;
}

describe('Wakeup', () => {
  it('sleeps until woken, without any timer', async () => {
    const wakeup = new Wakeup(new AbortController().signal);
    const waiting = wakeup.wait();
    assert.equal(await settled(waiting), false);
    wakeup.wake();
    assert.equal(await settled(waiting), true);
  });

  it('remembers a wake-up that came before the wait, once', async () => {
    const wakeup = new Wakeup(new AbortController().signal);
    wakeup.wake();
    wakeup.wake();
    assert.equal(await settled(wakeup.wait()), true);
    assert.equal(await settled(wakeup.wait()), false, 'two wake-ups before one wait are one');
  });

  it('lets go when the signal aborts, and does not sleep after that', async () => {
    const stopping = new AbortController();
    const wakeup = new Wakeup(stopping.signal);
    const waiting = wakeup.wait();
    stopping.abort();
    assert.equal(await settled(waiting), true);
    assert.equal(await settled(wakeup.wait()), true);
  });
});
