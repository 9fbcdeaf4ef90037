import { describe, expect, it } from 'vitest';
import { RideAlongMarks, type Schedule } from '../../../../lib/adapters/postgres/ride-along-marks.js';

/** A `write` that records each call and fails the next `failNext` calls. */
function fakeWrite() {
  const calls: string[][] = [];
  let failures = 0;
  const write = async (ids: readonly string[]): Promise<void> => {
    calls.push([...ids]);
    if (failures > 0) {
      failures -= 1;
      throw new Error('write failed');
    }
  };
  return {
    calls,
    write,
    failNext(n = 1) {
      failures = n;
    },
  };
}

interface Timer {
  readonly run: () => void;
  readonly delayMs: number;
  state: 'armed' | 'fired' | 'cancelled';
}

/** A `schedule` that never fires by itself: the test fires a timer or sees it cancelled. */
function fakeSchedule() {
  const timers: Timer[] = [];
  const schedule: Schedule = (run, delayMs) => {
    const timer: Timer = { run, delayMs, state: 'armed' };
    timers.push(timer);
    return () => {
      timer.state = 'cancelled';
    };
  };
  const live = () => timers.filter((t) => t.state === 'armed');
  /** Fires the nth timer armed, as its delay passing would. */
  const fire = (n: number) => {
    const timer = timers[n]!;
    timer.state = 'fired';
    timer.run();
  };
  return { timers, schedule, live, fire };
}

/** Lets the promise chains a fired timer started run to their end. */
const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

function setup(maxPending?: number) {
  const w = fakeWrite();
  const s = fakeSchedule();
  const marks = new RideAlongMarks(w.write, { maxWaitMs: 200, maxPending, schedule: s.schedule });
  return { marks, w, s };
}

describe('RideAlongMarks', () => {
  it('holds added ids without writing, under one timer of maxWaitMs', async () => {
    const { marks, w, s } = setup();
    await marks.add(['1', '2']);
    await marks.add(['3']);
    await marks.add([]);
    expect(w.calls).toEqual([]);
    expect(marks.held).toBe(3);
    expect(s.timers).toHaveLength(1);
    expect(s.live()).toEqual([expect.objectContaining({ delayMs: 200 })]);
  });

  it('arms no timer for an add of nothing', async () => {
    const { marks, s } = setup();
    await marks.add([]);
    expect(marks.held).toBe(0);
    expect(s.timers).toEqual([]);
  });

  it('ride hands every id held, in order, to its call, empties and cancels the timer', async () => {
    const { marks, w, s } = setup();
    await marks.add(['1', '2']);
    await marks.add(['3']);
    expect(await marks.ride(async (ids) => [...ids])).toEqual(['1', '2', '3']);
    expect(marks.held).toBe(0);
    expect(await marks.ride(async (ids) => [...ids])).toEqual([]);
    expect(s.timers).toHaveLength(1);
    expect(s.live()).toEqual([]);
    s.fire(0);
    await settle();
    expect(w.calls, 'nothing left for the timer to write').toEqual([]);
  });

  it('writes the held ids once when the timer fires, and arms a new timer for the next add', async () => {
    const { marks, w, s } = setup();
    await marks.add(['1', '2']);
    s.fire(0);
    await settle();
    expect(w.calls).toEqual([['1', '2']]);
    expect(marks.held).toBe(0);
    expect(s.live(), 'no timer armed after the write').toEqual([]);
    expect(s.timers).toHaveLength(1);
    await marks.flush();
    expect(w.calls, 'a flush with nothing held writes nothing').toHaveLength(1);
    await marks.add(['3']);
    expect(s.timers).toHaveLength(2);
    s.fire(1);
    await settle();
    expect(w.calls).toEqual([['1', '2'], ['3']]);
  });

  it('writes at once when maxPending ids are held, cancelling the timer', async () => {
    const { marks, w, s } = setup(3);
    await marks.add(['1', '2']);
    expect(w.calls).toEqual([]);
    await marks.add(['3', '4']);
    expect(w.calls).toEqual([['1', '2', '3', '4']]);
    expect(marks.held).toBe(0);
    expect(s.live()).toEqual([]);
  });

  it('keeps the ids when the write of a full batch fails, and the add rejects', async () => {
    const { marks, w } = setup(2);
    w.failNext();
    await expect(marks.add(['1', '2'])).rejects.toThrow('write failed');
    expect(marks.held).toBe(2);
    await marks.flush();
    expect(w.calls).toEqual([
      ['1', '2'],
      ['1', '2'],
    ]);
    expect(marks.held).toBe(0);
  });

  it('gives the ids back and rethrows when a flush fails; the next flush writes them', async () => {
    const { marks, w, s } = setup();
    await marks.add(['1', '2']);
    w.failNext();
    await expect(marks.flush()).rejects.toThrow('write failed');
    expect(marks.held).toBe(2);
    expect(s.live(), 'given back: a timer waits for them again').toHaveLength(1);
    await marks.flush();
    expect(w.calls).toEqual([
      ['1', '2'],
      ['1', '2'],
    ]);
    expect(marks.held).toBe(0);
    expect(s.live()).toEqual([]);
  });

  it('holds nothing and arms no timer when a ride with no ids fails', async () => {
    const { marks, w, s } = setup();
    await expect(marks.ride(() => Promise.reject(new Error('call failed')))).rejects.toThrow('call failed');
    expect(marks.held).toBe(0);
    expect(s.timers).toEqual([]);
    expect(w.calls).toEqual([]);
  });

  it('holds the ids of a failed ride ahead of those added during it, under a timer', async () => {
    const { marks, s } = setup();
    await marks.add(['1', '2']);
    const failed = marks.ride(async () => {
      await marks.add(['3']);
      throw new Error('call failed');
    });
    await expect(failed).rejects.toThrow('call failed');
    expect(marks.held).toBe(3);
    expect(s.live()).toHaveLength(1);
    expect(await marks.ride(async (ids) => [...ids])).toEqual(['1', '2', '3']);
  });

  it('arms a new timer for the ids of a failed ride (the ride cancelled the one they had)', async () => {
    const { marks, s } = setup();
    await marks.add(['7']);
    const failed = marks.ride(async () => {
      expect(s.live(), 'riding: no timer armed').toEqual([]);
      throw new Error('call failed');
    });
    await expect(failed).rejects.toThrow('call failed');
    expect(marks.held).toBe(1);
    expect(s.timers.map((t) => t.state)).toEqual(['cancelled', 'armed']);
  });

  it('keeps the ids held and re-arms when a timer-triggered write fails, without an unhandled rejection', async () => {
    const { marks, w, s } = setup();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      await marks.add(['1', '2']);
      w.failNext();
      s.fire(0);
      await settle();
      await settle();
      expect(w.calls).toEqual([['1', '2']]);
      expect(marks.held).toBe(2);
      expect(s.timers).toHaveLength(2);
      expect(s.live()).toEqual([s.timers[1]]);
      s.fire(1);
      await settle();
      expect(w.calls).toEqual([
        ['1', '2'],
        ['1', '2'],
      ]);
      expect(marks.held).toBe(0);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
