// A Kineto-shaped synthetic trace of any size, for the scale benchmark and
// tests: training steps on a CPU thread (ProfilerStep -> python functions ->
// aten ops -> cudaLaunchKernel) with an autograd thread, GPU kernels on two
// streams linked by ac2g flows, memcpys, "[memory]" instants, shapes in args.
// Written as a stream of chunks, so the generator itself uses little memory.
import fs from 'node:fs'
import { seededRandom } from '../random'

const OPS = ['aten::linear', 'aten::addmm', 'aten::layer_norm', 'aten::gelu', 'aten::softmax', 'aten::dropout', 'aten::add', 'aten::matmul', 'aten::bmm', 'aten::mul']
const KERNELS = [
  'volta_sgemm_128x64_tn',
  'void at::native::vectorized_elementwise_kernel<4, at::native::GeluCUDAKernelImpl(at::TensorIteratorBase&)::{lambda()#1}>',
  'void at::native::(anonymous namespace)::vectorized_layer_norm_kernel<float, float>',
  'fmha_cutlassF_f32_aligned_64x64_rf_sm80',
  'void at::native::reduce_kernel<512, 1, at::native::ReduceOp<float, at::native::MeanOps<float, float>>>',
]

export interface SyntheticTraceStats {
  bytes: number
  events: number
  steps: number
  kernels: number
}

export function writeSyntheticTrace(file: string, targetBytes: number, seed = 1): SyntheticTraceStats {
  const rand = seededRandom(seed)
  const fd = fs.openSync(file, 'w')
  let buffered: string[] = []
  let bufferedLength = 0
  let bytes = 0
  let events = 0
  let kernels = 0
  const write = (s: string) => {
    buffered.push(s)
    bufferedLength += s.length
    if (bufferedLength > 1 << 20) flush()
  }
  const flush = () => {
    const chunk = buffered.join('')
    bytes += fs.writeSync(fd, chunk)
    buffered = []
    bufferedLength = 0
  }
  const event = (o: Record<string, unknown>) => {
    write(`${events ? ',\n' : ''}  ${JSON.stringify(o)}`)
    events++
  }
  write('{\n  "schemaVersion": 1,\n  "deviceProperties": [{"id": 0, "name": "Synthetic GPU", "totalGlobalMem": 85899345920, "computeMajor": 9, "computeMinor": 0}],\n  "traceEvents": [\n')
  const pid = 4242
  const [mainTid, autogradTid] = [4242, 4300]
  event({ ph: 'M', name: 'process_name', pid, tid: 0, args: { name: 'python3 train.py' } })
  event({ ph: 'M', name: 'thread_name', pid, tid: mainTid, args: { name: 'thread 4242 (python)' } })
  event({ ph: 'M', name: 'thread_name', pid, tid: autogradTid, args: { name: 'thread 4300 (autograd)' } })
  event({ ph: 'M', name: 'process_name', pid: 0, tid: 0, args: { name: 'GPU 0' } })
  let ts = 1_700_000_000_000
  let gpuFree = ts
  let correlation = 1
  let step = 0
  let allocated = 1 << 28
  const dims = () => [[32, 128, 312], [312, 312]]
  // One op: an aten op with a child addmm-like op that launches one kernel on a stream.
  const op = (tid: number, parentEnd: number, stream: number) => {
    const name = OPS[Math.floor(rand() * OPS.length)]
    const start = ts
    const dur = 20 + rand() * 60
    event({ ph: 'X', cat: 'cpu_op', name, pid, tid, ts: start, dur, args: { 'External id': correlation, 'Input Dims': dims(), 'Input type': ['float', 'float'], 'Ev Idx': events } })
    const launch = start + 5 + rand() * 5
    const launchDur = 4 + rand() * 3
    const c = correlation++
    event({ ph: 'X', cat: 'cuda_runtime', name: 'cudaLaunchKernel', pid, tid, ts: launch, dur: launchDur, args: { 'External id': c, correlation: c } })
    const kStart = Math.max(gpuFree, launch + 3) + rand() * 2
    const kDur = 3 + rand() * 40
    gpuFree = kStart + kDur
    const kernel = KERNELS[Math.floor(rand() * KERNELS.length)]
    event({ ph: 'X', cat: 'kernel', name: kernel, pid: 0, tid: stream, ts: kStart, dur: kDur, args: { 'queued': 0, 'device': 0, 'context': 1, 'stream': stream, 'correlation': c, 'registers per thread': 128, 'shared memory': 16384, 'blocks per SM': 2.4, 'grid': [96, 4, 1], 'block': [128, 1, 1] } })
    kernels++
    event({ ph: 's', id: c, pid, tid, ts: launch, cat: 'ac2g', name: 'ac2g' })
    event({ ph: 'f', id: c, pid: 0, tid: stream, ts: kStart, cat: 'ac2g', name: 'ac2g', bp: 'e' })
    ts = Math.min(parentEnd, start + dur + 1 + rand() * 3)
  }
  while (bytes + bufferedLength < targetBytes) {
    const stepStart = ts
    const stepEnd = ts + 20_000
    event({ ph: 'X', cat: 'user_annotation', name: `ProfilerStep#${step}`, pid, tid: mainTid, ts: stepStart, dur: stepEnd - stepStart, args: { 'External id': correlation++ } })
    ts += 5
    for (let layer = 0; layer < 12 && ts < stepEnd - 2000; layer++) {
      const fnStart = ts
      ts += 2
      const fnEnd = fnStart + 1000
      for (let i = 0; i < 8 && ts < fnEnd - 100; i++) op(mainTid, fnEnd - 10, 7)
      event({ ph: 'X', cat: 'python_function', name: `nn.Module: BertLayer_${layer}`, pid, tid: mainTid, ts: fnStart, dur: fnEnd - fnStart, args: { 'Python id': layer, 'Python parent id': 0 } })
      ts = fnEnd + 3
    }
    // The backward pass on the autograd thread, kernels on a second stream.
    const back = ts
    for (let i = 0; i < 40 && ts < stepEnd - 100; i++) op(autogradTid, stepEnd - 50, 13)
    if (rand() < 0.5) event({ ph: 'X', cat: 'gpu_memcpy', name: 'Memcpy HtoD (Pageable -> Device)', pid: 0, tid: 7, ts: gpuFree + 1, dur: 12, args: { 'correlation': correlation++, 'bytes': 1 << 20 } })
    allocated += Math.floor((rand() - 0.5) * (1 << 22))
    event({ ph: 'i', cat: 'cpu_instant_event', s: 't', name: '[memory]', pid, tid: mainTid, ts: back, args: { 'Total Reserved': 1 << 30, 'Total Allocated': allocated, 'Bytes': 4096, 'Device Id': 0, 'Device Type': 1 } })
    ts = stepEnd + 10
    step++
  }
  write('\n  ]\n}\n')
  flush()
  fs.closeSync(fd)
  return { bytes, events, steps: step, kernels }
}
