/**
 * The suite's randomness (which invocations die, where, how long a handler takes), from one seed
 * so a run's choices can be repeated: FAULTS_SEED, default 20240607. Timing still varies between
 * runs (batches form as messages arrive), so counts of crashes vary a little; the zeros do not.
 */
export const FAULTS_SEED = Number(process.env.FAULTS_SEED ?? 20240607);

/** mulberry32: a small, good-enough PRNG; a value in [0, 1) per call. */
export function seededRandom(seed: number = FAULTS_SEED): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
