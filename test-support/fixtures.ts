// Readers for the golden fixtures written by native-kernels/tools/make_fixtures.py,
// and the twin of th::random_vec (tests/harness.h) that regenerates their inputs.
import fs from 'node:fs'
import path from 'node:path'
import { REPO_ROOT } from './services'

export function loadFixture(name: string): Map<string, Float32Array> {
  const bytes = fs.readFileSync(path.join(REPO_ROOT, 'native-kernels', 'tests', 'fixtures', name))
  const end = bytes.indexOf('end\n')
  const lines = bytes.subarray(0, end).toString('utf8').split('\n').filter(Boolean)
  if (lines[0] !== 'tbw-fixture 1') throw new Error(`${name}: not a tbw fixture`)
  const out = new Map<string, Float32Array>()
  let offset = end + 4
  for (const line of lines.slice(1)) {
    const [tensor, count] = line.split(' ')
    const n = Number(count)
    out.set(tensor, new Float32Array(bytes.buffer.slice(bytes.byteOffset + offset, bytes.byteOffset + offset + 4 * n)))
    offset += 4 * n
  }
  return out
}

// Bit-exact twin of th::random_vec: xorshift32, 24-bit uniforms, float32 arithmetic.
export function fixtureRandomVec(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = (Math.imul(seed, 2654435761) + 12345) >>> 0
  const f = Math.fround
  const span = f(f(hi) - f(lo))
  const out = new Float32Array(n)
  for (let i = 0; i < n; i++) {
    s = (s ^ (s << 13)) >>> 0
    s = (s ^ (s >>> 17)) >>> 0
    s = (s ^ (s << 5)) >>> 0
    out[i] = f(f(lo) + f(f(span * (s >>> 8)) / 16777216))
  }
  return out
}

// max |got - want| <= rel * max |want| + 1e-6, the fixtures' declared tolerance
export function scaleClose(got: ArrayLike<number>, want: ArrayLike<number>, rel = 1e-4): { ok: boolean; worst: number; scale: number } {
  let worst = 0
  let scale = 0
  for (let i = 0; i < want.length; i++) {
    scale = Math.max(scale, Math.abs(want[i]))
    worst = Math.max(worst, Math.abs(got[i] - want[i]))
  }
  return { ok: got.length === want.length && worst <= rel * scale + 1e-6, worst, scale }
}
