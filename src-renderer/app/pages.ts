// The workbench's pages, in navigation order.
export type PageId = 'home' | 'models' | 'datasets' | 'finetune' | 'quantize' | 'sweeps' | 'benchmarks' | 'traces' | 'runs'

export interface PageInfo {
  id: PageId
  label: string
}

export const PAGES: PageInfo[] = [
  { id: 'home', label: 'Home' },
  { id: 'models', label: 'Models' },
  { id: 'datasets', label: 'Datasets' },
  { id: 'finetune', label: 'Fine-tune' },
  { id: 'quantize', label: 'Quantize & export' },
  { id: 'sweeps', label: 'Sweeps' },
  { id: 'benchmarks', label: 'Benchmarks' },
  { id: 'traces', label: 'Traces' },
  { id: 'runs', label: 'Runs' },
]
