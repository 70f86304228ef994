import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { tempDataDir } from '../../../test-support/services'
import { encodeSafetensors, parseSafetensors, readSafetensors, writeSafetensors } from './safetensors'

const tensors = [
  { name: 'a.weight', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
  { name: 'a.bias', shape: [3], data: Float32Array.from([-1, 0.5, 1e-30]) },
  { name: 'empty', shape: [0, 4], data: new Float32Array(0) },
]

function withHeader(header: unknown, data = Buffer.alloc(0)): Buffer {
  const json = Buffer.from(JSON.stringify(header))
  const len = Buffer.alloc(8)
  len.writeBigUInt64LE(BigInt(json.length))
  return Buffer.concat([len, json, data])
}

describe('safetensors', () => {
  it('round-trips float32 tensors and metadata through an atomic write', () => {
    const file = path.join(tempDataDir('st'), 'model.safetensors')
    writeSafetensors(file, tensors, { format: 'pt' })
    expect(fs.readdirSync(path.dirname(file))).toEqual(['model.safetensors']) // no temp file left
    const back = readSafetensors(file)
    expect(back.metadata).toEqual({ format: 'pt' })
    for (const t of tensors) {
      expect(back.tensors.get(t.name)).toEqual({ dtype: 'F32', shape: t.shape, data: t.data })
    }
    expect(fs.readFileSync(file).readBigUInt64LE(0) % 8n).toBe(0n) // header padded to 8 bytes
  })

  it('widens F16 and BF16 to float32', () => {
    const f16 = Buffer.from(Uint16Array.from([0x3c00, 0xc000, 0x3555]).buffer) // 1, -2, ~0.333
    const bf16 = Buffer.from(Uint16Array.from([0x3f80, 0x4049]).buffer) // 1, ~3.14
    const file = withHeader(
      { h: { dtype: 'F16', shape: [3], data_offsets: [0, 6] }, b: { dtype: 'BF16', shape: [2], data_offsets: [6, 10] } },
      Buffer.concat([f16, bf16]),
    )
    const st = parseSafetensors(file)
    expect(Array.from(st.tensors.get('h')!.data as Float32Array)).toEqual([1, -2, expect.closeTo(1 / 3, 3)])
    expect(Array.from(st.tensors.get('b')!.data as Float32Array)).toEqual([1, expect.closeTo(3.14, 2)])
  })

  it('refuses truncated files, lying headers and bad entries, naming the tensor', () => {
    const good = encodeSafetensors(tensors)
    expect(() => parseSafetensors(good.subarray(0, good.length - 4), 'm.safetensors')).toThrow(/m\.safetensors: tensor a\.(weight|bias): data ends at byte \d+ but the file has \d+ data bytes \(truncated\?\)/)
    expect(() => parseSafetensors(good.subarray(0, 5))).toThrow(/too short/)
    const huge = Buffer.alloc(16)
    huge.writeBigUInt64LE(2n ** 40n)
    expect(() => parseSafetensors(huge)).toThrow(/header length/)
    expect(() => parseSafetensors(withHeader({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, Buffer.alloc(4)))).toThrow(
      /tensor x: shape \[2\] of F32 needs 8 bytes but data_offsets span 4/,
    )
    expect(() => parseSafetensors(withHeader({ x: { dtype: 'Q4', shape: [2], data_offsets: [0, 1] } }, Buffer.alloc(1)))).toThrow(/tensor x: unsupported dtype "Q4"/)
    const overlap = withHeader(
      { x: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, y: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } },
      Buffer.alloc(8),
    )
    expect(() => parseSafetensors(overlap)).toThrow(/overlapping or gapped/)
    const notJson = Buffer.concat([Buffer.from([3, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{x:')])
    expect(() => parseSafetensors(notJson)).toThrow(/not valid JSON/)
    expect(() => encodeSafetensors([{ name: 'w', shape: [2, 2], data: new Float32Array(3) }])).toThrow(/tensor w: shape \[2,2\] of F32 needs 16 bytes but data has 12/)
  })
})
