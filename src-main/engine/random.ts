// Seeded randomness for everything that must repeat exactly (batch order, LoRA
// init, random checkpoints, sweeps, the self-test's data): mulberry32.

// A generator of 32-bit unsigned integers.
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) >>> 0
  }
}

// Uniform in [0, 1).
export function seededRandom(seed: number): () => number {
  const next = mulberry32(seed)
  return () => next() / 4294967296
}
