import type { Clock } from '../ports/clock.js';

/** The machine's clock, as every composition root wires it. */
export const systemClock: Clock = { now: () => new Date() };
