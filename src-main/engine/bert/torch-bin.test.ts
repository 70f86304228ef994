import fs from 'node:fs'
import path from 'node:path'
import { unzipSync, zipSync } from 'fflate'
import { describe, expect, it } from 'vitest'
import { parseTorchBin, readTorchBin } from './torch-bin'

const FIXTURES = path.join(__dirname, 'fixtures') // written by native-kernels/tools/make_fixtures.py

describe('pytorch_model.bin (restricted unpickler)', () => {
  it('reads float32, strided views, float16, bfloat16, int64 and parameters as torch saved them', () => {
    const want = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'state_dict.json'), 'utf8')) as Record<string, { shape: number[]; values: number[] }>
    const got = readTorchBin(path.join(FIXTURES, 'state_dict.bin'))
    expect([...got.tensors.keys()].sort()).toEqual(Object.keys(want).sort())
    for (const [name, w] of Object.entries(want)) {
      const t = got.tensors.get(name)!
      expect(t.shape).toEqual(w.shape)
      const values = Array.from(t.data as ArrayLike<number | bigint>, Number)
      expect(values).toEqual(w.values)
    }
    expect(got.tensors.get('ids')!.dtype).toBe('I64')
    expect(got.tensors.get('half')!.dtype).toBe('F16')
  })

  it.each(['malicious_p2.bin', 'malicious_p4.bin'])('refuses %s, naming the global it would have called', (f) => {
    expect(() => readTorchBin(path.join(FIXTURES, f))).toThrow(/refused: data\.pkl references the Python global "posix\.system"/)
  })

  it('refuses legacy, damaged and inconsistent files with the reason', () => {
    expect(() => parseTorchBin(Buffer.from([0x80, 0x02, 0x8a, 0x0a]), 'old.bin')).toThrow(/old\.bin: not a zip-format torch checkpoint/)
    const good = fs.readFileSync(path.join(FIXTURES, 'state_dict.bin'))
    expect(() => parseTorchBin(good.subarray(0, good.length - 200), 'cut.bin')).toThrow(/cut\.bin: /)
    // A storage shorter than the tensor claims: the tensor is named.
    const entries = unzipSync(good)
    const storageOfWeight = Object.keys(entries).find((n) => n.endsWith('/data/0'))!
    entries[storageOfWeight] = entries[storageOfWeight].subarray(0, 8)
    expect(() => parseTorchBin(zipSync(entries), 'short.bin')).toThrow(/short\.bin: tensor a\.weight(_t)?: storage has 8 bytes, needs 24/)
    // Opcodes torch.save never writes are refused too.
    const pkl = Object.keys(entries).find((n) => n.endsWith('data.pkl'))!
    entries[pkl] = Uint8Array.from([0x80, 0x02, 0x69, 0x2e]) // INST
    expect(() => parseTorchBin(zipSync(entries), 'odd.bin')).toThrow(/unsupported pickle opcode 0x69/)
  })
})
