// The workbench's pages, in navigation order. Placeholders say what is coming.
export type PageId = 'home' | 'models' | 'datasets' | 'finetune' | 'quantize' | 'sweeps' | 'benchmarks' | 'traces' | 'runs'

export interface PageInfo {
  id: PageId
  label: string
  coming?: string
}

export const PAGES: PageInfo[] = [
  { id: 'home', label: 'Home' },
  { id: 'models', label: 'Models' },
  { id: 'datasets', label: 'Datasets' },
  { id: 'finetune', label: 'Fine-tune' },
  {
    id: 'quantize',
    label: 'Quantize',
    coming: 'int8 and nf4 (with double quantization) models, their size and accuracy side by side, and exports to safetensors, PEFT adapters and ONNX.',
  },
  { id: 'sweeps', label: 'Sweeps' },
  {
    id: 'benchmarks',
    label: 'Benchmarks',
    coming: 'Latency × size × accuracy matrices by batch size, measured side by side with ONNX Runtime and PyTorch.',
  },
  { id: 'traces', label: 'Traces' },
  { id: 'runs', label: 'Runs' },
]
