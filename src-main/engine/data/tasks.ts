// The GLUE tasks: how each one is laid out in GLUE's own TSV files
// (download_glue_data.py) and in the Hugging Face `nyu-mll/glue` parquet/jsonl
// files, and what its labels mean. Label ids follow Hugging Face's ClassLabel
// order, so a model trained here reads the same as one trained with `datasets`.

export interface TsvLayout {
  a: string
  b?: string
  label: string
  // Raw label text -> id; absent means the text is the id (or a float for regression).
  labelIds?: Record<string, number>
}

export interface GlueTaskSpec {
  name: string
  labelNames: string[] // empty for regression
  regression: boolean
  tsv: TsvLayout
  // CoLA's train/dev files have no header: fixed column positions instead.
  headerless?: { columns: number; a: number; label: number }
  hf: { a: string; b?: string }
  // The hub folder name when it differs from the task id.
  hubFolder?: string
  metrics: string[] // what an evaluation reports for this task
}

const ENT_NOT = { entailment: 0, not_entailment: 1 }

export const GLUE_TASKS = {
  cola: {
    name: 'CoLA',
    labelNames: ['unacceptable', 'acceptable'],
    regression: false,
    tsv: { a: 'sentence', label: 'label' },
    headerless: { columns: 4, a: 3, label: 1 },
    hf: { a: 'sentence' },
    metrics: ['matthews', 'accuracy'],
  },
  sst2: {
    name: 'SST-2',
    labelNames: ['negative', 'positive'],
    regression: false,
    tsv: { a: 'sentence', label: 'label' },
    hf: { a: 'sentence' },
    metrics: ['accuracy'],
  },
  mrpc: {
    name: 'MRPC',
    labelNames: ['not_equivalent', 'equivalent'],
    regression: false,
    tsv: { a: '#1 String', b: '#2 String', label: 'Quality' },
    hf: { a: 'sentence1', b: 'sentence2' },
    metrics: ['accuracy', 'f1'],
  },
  qqp: {
    name: 'QQP',
    labelNames: ['not_duplicate', 'duplicate'],
    regression: false,
    tsv: { a: 'question1', b: 'question2', label: 'is_duplicate' },
    hf: { a: 'question1', b: 'question2' },
    metrics: ['accuracy', 'f1'],
  },
  stsb: {
    name: 'STS-B',
    labelNames: [],
    regression: true,
    tsv: { a: 'sentence1', b: 'sentence2', label: 'score' },
    hf: { a: 'sentence1', b: 'sentence2' },
    metrics: ['pearson', 'spearman'],
  },
  mnli: {
    name: 'MNLI',
    labelNames: ['entailment', 'neutral', 'contradiction'],
    regression: false,
    tsv: { a: 'sentence1', b: 'sentence2', label: 'gold_label', labelIds: { entailment: 0, neutral: 1, contradiction: 2 } },
    hf: { a: 'premise', b: 'hypothesis' },
    metrics: ['accuracy'],
  },
  qnli: {
    name: 'QNLI',
    labelNames: ['entailment', 'not_entailment'],
    regression: false,
    tsv: { a: 'question', b: 'sentence', label: 'label', labelIds: ENT_NOT },
    hf: { a: 'question', b: 'sentence' },
    metrics: ['accuracy'],
  },
  rte: {
    name: 'RTE',
    labelNames: ['entailment', 'not_entailment'],
    regression: false,
    tsv: { a: 'sentence1', b: 'sentence2', label: 'label', labelIds: ENT_NOT },
    hf: { a: 'sentence1', b: 'sentence2' },
    metrics: ['accuracy'],
  },
  wnli: {
    name: 'WNLI',
    labelNames: ['not_entailment', 'entailment'],
    regression: false,
    tsv: { a: 'sentence1', b: 'sentence2', label: 'label' },
    hf: { a: 'sentence1', b: 'sentence2' },
    metrics: ['accuracy'],
  },
} satisfies Record<string, GlueTaskSpec>

export type GlueTask = keyof typeof GLUE_TASKS
export const GLUE_TASK_IDS = Object.keys(GLUE_TASKS) as GlueTask[]

export function glueTask(task: string): GlueTaskSpec {
  const spec = (GLUE_TASKS as Record<string, GlueTaskSpec>)[task]
  if (!spec) throw new Error(`Unknown GLUE task ${JSON.stringify(task)}; known: ${GLUE_TASK_IDS.join(', ')}`)
  return spec
}

export function isGlueTask(task: string): task is GlueTask {
  return Object.prototype.hasOwnProperty.call(GLUE_TASKS, task)
}
