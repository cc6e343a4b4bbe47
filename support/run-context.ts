/** One seed per run: printed, attached to the report, and replayed with SEED=n. */
let seed: number | null = null;

export function runSeed(): number {
  if (seed === null) {
    const fromEnv = process.env.SEED;
    seed = fromEnv !== undefined && /^\d+$/.test(fromEnv) ? Number(fromEnv) : Math.floor(Math.random() * 2 ** 31);
  }
  return seed;
}
