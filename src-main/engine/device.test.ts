// Choosing a job's device: the reasons given when a GPU cannot be used, the memory estimate
// checked before launch, and the engine's step on each GPU against the PyTorch fixture
// (skipped, saying why, on machines without one).
import { describe, expect, it } from 'vitest'
import type { GpuDevice, KernelCapabilities } from '../contract/types'
import { fixtureBatch, fixtureConfig, fixtureParams } from '../../test-support/bert-fixture'
import { loadFixture, scaleClose } from '../../test-support/fixtures'
import { loadKernels } from './addon'
import { BertClassifier } from './bert/model'
import { checkGpuMemory, gpuStepBytes, resolveDevice } from './device'

const caps = loadKernels().capabilities()
const h100: GpuDevice = { index: 0, id: 'cuda:0', name: 'NVIDIA H100', totalBytes: 80 * 2 ** 30, computeCapability: '9.0', multiprocessors: 132 }
const withCuda = (c: Partial<KernelCapabilities['cuda']>): KernelCapabilities => ({
  ...caps,
  cuda: { compiled: true, library: '/x/libtbw_cuda.so', reason: '', runtimeVersion: 13000, driverVersion: 13000, devices: [], cublas: null, cublasError: '', ...c },
})
const tiny = { hidden: 312, heads: 12, intermediate: 1200, layers: 4, labels: 2, vocab: 30522, maxPos: 512, typeVocab: 2 }

describe('resolveDevice', () => {
  it('cpu is the best CPU variant for the step and the optimizer', () => {
    expect(resolveDevice('cpu', caps)).toEqual({ backend: caps.variant, hostBackend: caps.variant, gpu: null })
  })

  it('says why a GPU cannot be used: not compiled, no GPU, no such index', () => {
    expect(() => resolveDevice('cuda:0', withCuda({ compiled: false, reason: 'CUDA backend not compiled (nvcc was not found)' }))).toThrow(/cuda:0 cannot be used: CUDA backend not compiled.*--device cpu/)
    expect(() => resolveDevice('cuda', withCuda({ reason: 'no usable CUDA GPU: no NVIDIA driver' }))).toThrow(/no NVIDIA driver/)
    expect(() => resolveDevice('cuda:3', withCuda({ devices: [h100] }))).toThrow(/cuda:3 does not exist: this machine has 1 GPU\(s\): cuda:0 \(NVIDIA H100\)/)
    expect(() => resolveDevice('tpu', caps)).toThrow(/not 'cpu' or 'cuda:N'/)
  })

  it('a GPU runs the step, the CPU variant the optimizer', () => {
    expect(resolveDevice('cuda', withCuda({ devices: [h100] }))).toEqual({ backend: 'cuda:0', hostBackend: caps.variant, gpu: h100 })
  })

  it('bf16/fp16 GEMM inputs need a GPU with cuBLAS', () => {
    expect(() => resolveDevice('cpu', caps, 'bf16')).toThrow(/precision bf16 needs a GPU \(--device cuda:N\): the CPU kernels compute in fp32/)
    expect(() => resolveDevice('cuda:0', withCuda({ devices: [h100], cublasError: 'libcublas was not found' }), 'fp16')).toThrow(/fp16 needs cuBLAS on the GPU: libcublas was not found/)
    expect(resolveDevice('cuda:0', withCuda({ devices: [h100], cublas: '/usr/local/cuda/lib64/libcublas.so.13' }), 'bf16').backend).toBe('cuda:0:bf16')
  })

  it('on this machine: a GPU the addon found, or the reason there is none', () => {
    if (caps.cuda.devices.length) expect(resolveDevice('cuda:0').backend).toBe('cuda:0')
    else expect(() => resolveDevice('cuda:0')).toThrow(caps.cuda.reason)
  })
})

describe('GPU memory before launch', () => {
  const opts = { paramElems: 14_350_874, gradElems: 120_434, loraR: 16, flash: true }

  it('grows with batch and length, and naive attention adds the (T,T) probabilities', () => {
    const small = gpuStepBytes(tiny, 32, 128, opts)
    expect(small).toBeGreaterThan(4 * opts.paramElems)
    expect(gpuStepBytes(tiny, 64, 128, opts)).toBeGreaterThan(1.9 * (small - 4 * opts.paramElems))
    const naive = gpuStepBytes(tiny, 32, 512, { ...opts, flash: false })
    expect(naive - gpuStepBytes(tiny, 32, 512, opts)).toBeGreaterThanOrEqual(4 * 4 * 32 * 12 * 512 * 512) // layers · B·NH·T² floats
  })

  it('a step that does not fit fails before launch with what to change', () => {
    const seed = gpuStepBytes(tiny, 128, 128, opts)
    expect(checkGpuMemory(h100, seed, 'fine-tuning at batch 128', 79 * 2 ** 30)).toBe(79 * 2 ** 30)
    expect(checkGpuMemory(h100, seed, 'fine-tuning at batch 128', null)).toBeNull() // unknown: the run's own out-of-memory error remains
    const t4 = { ...h100, name: 'Tesla T4' }
    expect(() => checkGpuMemory(t4, gpuStepBytes(tiny, 1024, 512, opts), 'fine-tuning at batch 1024', 2 ** 30)).toThrow(
      /fine-tuning at batch 1024 needs about [\d.]+ GiB on cuda:0 \(Tesla T4\), which has 1\.00 GiB free: use a smaller batch size/,
    )
  })
})

describe('the engine step on a GPU', () => {
  const gpus = caps.cuda.devices.map((d) => d.id)

  it('a GPU backend name without a usable GPU is a clear error, not a crash', () => {
    if (gpus.length) return
    const model = new BertClassifier(fixtureConfig, fixtureParams(), 'cuda:0')
    expect(() => model.forward(fixtureBatch())).toThrow(/backend 'cuda:0' is not available: /)
  })

  if (!gpus.length) it.skip(`BertClassifier on a GPU vs PyTorch (no GPU: ${caps.cuda.reason})`, () => {})
  it.each(gpus)('BertClassifier[%s]: full fine-tuning logits, loss and gradients match PyTorch', (id) => {
    const fx = loadFixture('bert_model.bin')
    const model = new BertClassifier(fixtureConfig, fixtureParams(), id as `cuda:${number}`)
    const { logits, loss } = model.trainStep(fixtureBatch(), { trainBase: true })
    expect(scaleClose(logits, fx.get('logits')!).ok).toBe(true)
    expect(loss).toBeCloseTo(fx.get('loss')![0], 5)
    model.names.forEach((name, i) => expect(scaleClose(model.grads[i], fx.get(`d:${name}`)!).ok, name).toBe(true))
  })
})
