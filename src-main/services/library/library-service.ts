// The Models and Datasets pages' backend: inspect a model folder, preview its
// tokenizer, open a dataset folder or a user's file with a column mapping,
// and pull from the hub. Problems with the user's files come back as
// UserInputError (shown to the user as is), not as internal failures.
import path from 'node:path'
import type { DatasetSummary, ModelInfo, TablePreviewResult, TokenizedPair } from '../../contract/types'
import { inspectModel } from '../../engine/bert/inspect'
import { loadFolderSplit, openDatasetFolder } from '../../engine/data/dataset-folder'
import type { ColumnMapping } from '../../engine/data/examples'
import { glueTask } from '../../engine/data/tasks'
import { loadMapped, previewTable } from '../../engine/data/user-dataset'
import { WordPieceTokenizer } from '../../engine/tokenizer/wordpiece'
import type { EventBus } from '../events'
import { summarizeSplit } from './dataset-summary'
import { HubPulls } from './hub-pulls'

import { userFacing } from '../errors'

export class LibraryService {
  readonly pulls: HubPulls

  constructor(dataDir: string, bus: EventBus) {
    this.pulls = new HubPulls(dataDir, bus)
  }

  inspectModel(dir: string): Promise<ModelInfo> {
    return userFacing(() => inspectModel(path.resolve(dir)))
  }

  tokenize(dir: string, a: string, b: string | null, maxLength: number): Promise<TokenizedPair> {
    return userFacing(() => {
      const tok = WordPieceTokenizer.fromModelDir(path.resolve(dir))
      const full = tok.encode(a, b, 1_000_000)
      const e = tok.encode(a, b, maxLength)
      return { tokens: e.tokens, ids: e.ids, tokenTypeIds: e.tokenTypeIds, length: full.ids.length, truncated: full.ids.length > e.ids.length }
    })
  }

  openDataset(o: { path: string; task?: string; tokenizerModel?: string; maxLength: number }): Promise<DatasetSummary> {
    return userFacing(async () => {
      const folder = openDatasetFolder(path.resolve(o.path), o.task)
      if (!folder.task) throw new Error(`${folder.dir}: not recognized as a GLUE task folder; choose the task, or open one of its files and map the columns`)
      const spec = glueTask(folder.task)
      const tok = o.tokenizerModel ? WordPieceTokenizer.fromModelDir(path.resolve(o.tokenizerModel)) : null
      const splits = []
      for (const s of folder.splits) splits.push(summarizeSplit(s.name, await loadFolderSplit(folder, s.name), tok, o.maxLength))
      return { dir: folder.dir, task: folder.task, taskName: spec.name, labelNames: spec.labelNames, regression: spec.regression, splits }
    })
  }

  previewFile(file: string, header?: boolean): Promise<TablePreviewResult> {
    return userFacing(() => previewTable(path.resolve(file), { header }))
  }

  loadFile(o: { path: string; mapping: ColumnMapping; header?: boolean; tokenizerModel?: string; maxLength: number }): Promise<DatasetSummary> {
    return userFacing(async () => {
      const split = await loadMapped(path.resolve(o.path), o.mapping, { header: o.header })
      const tok = o.tokenizerModel ? WordPieceTokenizer.fromModelDir(path.resolve(o.tokenizerModel)) : null
      return {
        dir: path.dirname(split.file),
        task: null,
        taskName: null,
        labelNames: split.labelNames,
        regression: split.regression,
        splits: [summarizeSplit(path.basename(split.file), split, tok, o.maxLength)],
      }
    })
  }
}
