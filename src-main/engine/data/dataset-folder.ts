// A dataset folder as users have them: GLUE's TSV folders (train.tsv,
// dev.tsv, test.tsv; MNLI's dev_matched …), or a Hugging Face dataset folder
// (train-00000-of-00001.parquet, validation-…, or train.jsonl). Finds the
// splits and the GLUE task, and loads a split, shards joined.
import fs from 'node:fs'
import path from 'node:path'
import { loadGlue } from './glue'
import type { LoadedSplit } from './examples'
import { GLUE_TASK_IDS, isGlueTask, type GlueTask } from './tasks'

export interface DatasetFolder {
  dir: string
  task: GlueTask | null // null: not recognized as a GLUE task (map its columns)
  splits: { name: string; files: string[] }[]
}

const SPLIT_FILE = /^(train|dev|validation|test)(_matched|_mismatched)?(-\d{5}-of-\d{5})?\.(tsv|parquet|jsonl|json|csv)$/

// "SST-2", "STS-B", "CoLA", "mrpc" -> the task id.
export function taskFromName(name: string): GlueTask | null {
  const id = name.toLowerCase().replace(/[^a-z0-9]/g, '')
  return isGlueTask(id) ? id : null
}

export function openDatasetFolder(dir: string, task?: string): DatasetFolder {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`${dir}: not a folder`)
  let root = dir
  let names = fs.readdirSync(root)
  // A hub snapshot of nyu-mll/glue holds one subfolder per task.
  if (!names.some((f) => SPLIT_FILE.test(f)) && task && names.includes(task)) {
    root = path.join(dir, task)
    names = fs.readdirSync(root)
  }
  const bySplit = new Map<string, string[]>()
  for (const f of names.sort()) {
    const m = SPLIT_FILE.exec(f)
    if (!m) continue
    const split = (m[1] === 'dev' ? 'validation' : m[1]) + (m[2] ?? '')
    bySplit.set(split, [...(bySplit.get(split) ?? []), path.join(root, f)])
  }
  if (!bySplit.size) throw new Error(`${dir}: no split files (train/dev/validation/test as .tsv, .parquet, .jsonl or .csv)`)
  const found = task ?? taskFromName(path.basename(root))
  if (task && !isGlueTask(task)) throw new Error(`Unknown GLUE task ${JSON.stringify(task)}; known: ${GLUE_TASK_IDS.join(', ')}`)
  const order = ['train', 'validation', 'validation_matched', 'validation_mismatched', 'test', 'test_matched', 'test_mismatched']
  const splits = [...bySplit].map(([name, files]) => ({ name, files })).sort((x, y) => order.indexOf(x.name) - order.indexOf(y.name))
  return { dir: root, task: found as GlueTask | null, splits }
}

export async function loadFolderSplit(folder: DatasetFolder, split: string): Promise<LoadedSplit> {
  if (!folder.task) throw new Error(`${folder.dir}: not a GLUE task folder; choose the task or map the columns of your own file`)
  const entry = folder.splits.find((s) => s.name === split)
  if (!entry) throw new Error(`${folder.dir}: no "${split}" split (have ${folder.splits.map((s) => s.name).join(', ')})`)
  const parts = await Promise.all(entry.files.map((f) => loadGlue(folder.task!, f)))
  if (parts.length === 1) return parts[0]
  const many = (p: LoadedSplit) => p.problems.map((x) => ({ ...x, reason: `${path.basename(p.file)}: ${x.reason}` }))
  return { ...parts[0], file: entry.files.join(', '), examples: parts.flatMap((p) => p.examples), problems: parts.flatMap(many) }
}
