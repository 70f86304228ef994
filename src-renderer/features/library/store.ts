// Models and Datasets pages' state: the opened model (its folder is also the
// tokenizer the Datasets page counts lengths with), the opened dataset, and
// hub pulls in flight. The last folders opened are remembered.
import { create } from 'zustand'
import type { DatasetSummary, HubProgress, ModelInfo, TablePreviewResult } from '../../../src-main/contract/types'
import { api } from '../../lib/api'

const MODEL_KEY = 'tbw.models.lastPath'
const DATASET_KEY = 'tbw.datasets.lastPath'

interface LibraryState {
  modelPath: string
  model: ModelInfo | null
  modelError: string | null
  modelBusy: boolean
  datasetPath: string
  dataset: DatasetSummary | null
  datasetError: string | null
  datasetBusy: boolean
  filePreview: TablePreviewResult | null
  pulls: Record<number, HubProgress>
  openModel(path: string): Promise<void>
  openDataset(path: string, task?: string): Promise<void>
  previewFile(path: string): Promise<void>
  loadFile(path: string, mapping: { a: string; b: string | null; label: string | null; regression: boolean }): Promise<void>
  pull(kind: 'model' | 'dataset', id: string): Promise<number | null>
  onPullProgress(p: HubProgress): void
}

const message = (err: unknown) => (err as Error).message ?? String(err)

export const useLibraryStore = create<LibraryState>((set, get) => ({
  modelPath: localStorage.getItem(MODEL_KEY) ?? '',
  model: null,
  modelError: null,
  modelBusy: false,
  datasetPath: localStorage.getItem(DATASET_KEY) ?? '',
  dataset: null,
  datasetError: null,
  datasetBusy: false,
  filePreview: null,
  pulls: {},

  async openModel(path) {
    set({ modelPath: path, modelBusy: true, modelError: null })
    try {
      const model = await api.call('models.inspect', { path })
      localStorage.setItem(MODEL_KEY, path)
      set({ model, modelBusy: false })
    } catch (err) {
      set({ model: null, modelError: message(err), modelBusy: false })
    }
  },

  async openDataset(path, task) {
    set({ datasetPath: path, datasetBusy: true, datasetError: null, filePreview: null })
    try {
      const tokenizerModel = get().model?.dir
      const dataset = await api.call('datasets.open', { path, task, tokenizerModel })
      localStorage.setItem(DATASET_KEY, path)
      set({ dataset, datasetBusy: false })
    } catch (err) {
      set({ dataset: null, datasetError: message(err), datasetBusy: false })
    }
  },

  async previewFile(path) {
    set({ datasetPath: path, datasetBusy: true, datasetError: null, dataset: null })
    try {
      set({ filePreview: await api.call('datasets.previewFile', { path }), datasetBusy: false })
    } catch (err) {
      set({ filePreview: null, datasetError: message(err), datasetBusy: false })
    }
  },

  async loadFile(path, mapping) {
    set({ datasetBusy: true, datasetError: null })
    try {
      const dataset = await api.call('datasets.loadFile', { path, mapping, tokenizerModel: get().model?.dir })
      set({ dataset, datasetBusy: false })
    } catch (err) {
      set({ dataset: null, datasetError: message(err), datasetBusy: false })
    }
  },

  async pull(kind, id) {
    try {
      const { pullId } = await api.call('hub.pull', { kind, id })
      set((s) => ({ pulls: { ...s.pulls, [pullId]: { pullId, id, status: 'running', file: null, bytes: 0, total: null, dir: null, error: null } } }))
      return pullId
    } catch (err) {
      set(kind === 'model' ? { modelError: message(err) } : { datasetError: message(err) })
      return null
    }
  },

  onPullProgress(p) {
    set((s) => ({ pulls: { ...s.pulls, [p.pullId]: p } }))
  },
}))
