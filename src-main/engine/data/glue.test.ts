import fs from 'node:fs'
import path from 'node:path'
import { parquetWriteFile } from 'hyparquet-writer'
import { describe, expect, it } from 'vitest'
import { sharedData, tempDataDir } from '../../../test-support/services'
import { loadFolderSplit, openDatasetFolder, taskFromName } from './dataset-folder'
import { loadGlue } from './glue'

const DATA = sharedData()

const balance = (labels: (number | null)[]) => labels.reduce<Record<string, number>>((m, l) => ((m[String(l)] = (m[String(l)] ?? 0) + 1), m), {})
const write = (dir: string, name: string, text: string) => {
  const file = path.join(dir, name)
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, text)
  return file
}

describe('GLUE TSV loader', () => {
  it('reads the MRPC split exactly: BOM, tabs, unbalanced quotes', async () => {
    const train = await loadGlue('mrpc', path.join(DATA, 'mrpc/train.tsv'))
    const dev = await loadGlue('mrpc', path.join(DATA, 'mrpc/dev.tsv'))
    const test = await loadGlue('mrpc', path.join(DATA, 'mrpc/msr_paraphrase_test.txt'))
    for (const s of [train, dev, test]) expect(s.problems).toEqual([])
    expect([train.examples.length, dev.examples.length, test.examples.length]).toEqual([3668, 408, 1725])
    expect(balance(train.examples.map((e) => e.label))).toEqual({ '1': 2474, '0': 1194 })
    expect(balance(dev.examples.map((e) => e.label))).toEqual({ '1': 279, '0': 129 })
    expect(balance(test.examples.map((e) => e.label))).toEqual({ '1': 1147, '0': 578 })
    expect(dev.examples[0]).toMatchObject({ label: 1, line: 2, b: '" The foodservice pie business does not fit our long-term growth strategy .' })
    expect(dev.labelNames).toEqual(['not_equivalent', 'equivalent'])
    const unlabelled = await loadGlue('mrpc', path.join(DATA, 'mrpc/test.tsv'))
    expect(unlabelled.examples.length).toBe(1725)
    expect(unlabelled.examples.every((e) => e.label === null)).toBe(true)
  })

  it('reads RTE (string labels), CoLA (no header, no trailing newline) and SST-2 dev sets', async () => {
    const rte = await loadGlue('rte', path.join(DATA, 'glue/RTE/dev.tsv'))
    const cola = await loadGlue('cola', path.join(DATA, 'glue/CoLA/dev.tsv'))
    const sst2 = await loadGlue('sst2', path.join(DATA, 'glue/SST-2/dev.tsv'))
    for (const s of [rte, cola, sst2]) expect(s.problems).toEqual([])
    expect(balance(rte.examples.map((e) => e.label))).toEqual({ '0': 146, '1': 131 })
    expect(balance(cola.examples.map((e) => e.label))).toEqual({ '1': 721, '0': 322 })
    expect(balance(sst2.examples.map((e) => e.label))).toEqual({ '1': 444, '0': 428 })
    expect(cola.examples[0]).toMatchObject({ a: 'The sailors rode the breeze clear of the rocks.', b: null, label: 1, line: 1 })
  })

  it('reads the layouts of QQP, QNLI, WNLI, MNLI, STS-B (regression) and the unlabelled test files', async () => {
    const dir = tempDataDir('glue-layouts')
    const qqp = await loadGlue(
      'qqp',
      write(dir, 'qqp.tsv', 'id\tqid1\tqid2\tquestion1\tquestion2\tis_duplicate\n1\t2\t3\tHow do I learn?\tWhat is learning?\t0\n4\t5\t6\tWhy "so?\tWhy so?\t1\n7\t8\tbroken row\n'),
    )
    expect(qqp.examples.map((e) => [e.a, e.b, e.label])).toEqual([
      ['How do I learn?', 'What is learning?', 0],
      ['Why "so?', 'Why so?', 1],
    ])
    expect(qqp.problems).toEqual([{ line: 4, reason: 'expected 6 columns, found 3' }])
    const qnli = await loadGlue('qnli', write(dir, 'qnli.tsv', 'index\tquestion\tsentence\tlabel\n0\tWho?\tHe did.\tentailment\n1\tWhen?\tNever.\tnot_entailment\n'))
    expect(qnli.examples.map((e) => e.label)).toEqual([0, 1])
    const wnli = await loadGlue('wnli', write(dir, 'wnli.tsv', 'index\tsentence1\tsentence2\tlabel\n0\tI saw it.\tIt was seen.\t1\n'))
    expect(wnli.examples[0].label).toBe(1)
    expect(wnli.labelNames[1]).toBe('entailment')
    const mnliHeader = 'index\tpromptID\tpairID\tgenre\tsentence1_binary_parse\tsentence2_binary_parse\tsentence1_parse\tsentence2_parse\tsentence1\tsentence2\tlabel1\tlabel2\tlabel3\tlabel4\tlabel5\tgold_label'
    const mnliRow = (g: string) => `0\t1\t1e\tfiction\t( x )\t( y )\t(ROOT x)\t(ROOT y)\tA man sleeps.\tA person rests.\t${g}\t${g}\t${g}\t${g}\t${g}\t${g}`
    const mnli = await loadGlue('mnli', write(dir, 'dev_matched.tsv', [mnliHeader, mnliRow('contradiction'), mnliRow('neutral'), mnliRow('maybe')].join('\n')))
    expect(mnli.examples.map((e) => e.label)).toEqual([2, 1])
    expect(mnli.problems).toEqual([{ line: 4, reason: 'label "maybe" in column "gold_label" is not one of entailment, neutral, contradiction' }])
    const stsbHeader = 'index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore'
    const stsb = await loadGlue('stsb', write(dir, 'stsb.tsv', `${stsbHeader}\n0\tmain-captions\tMSRvid\t2012test\t0001\tnone\tnone\tA plane takes off.\tAn air plane is taking off.\t5.000\n1\tg\tf\ty\to\ts\ts\tA\tB\tn/a\n`))
    expect(stsb.regression).toBe(true)
    expect(stsb.examples.map((e) => e.label)).toEqual([5])
    expect(stsb.problems[0]).toEqual({ line: 3, reason: 'label "n/a" in column "score" is not a number' })
    const colaTest = await loadGlue('cola', write(dir, 'cola-test.tsv', 'index\tsentence\n0\tBill whistled past the house.\n'))
    expect(colaTest.examples).toEqual([{ a: 'Bill whistled past the house.', b: null, label: null, line: 2 }])
  })

  it('reports bad rows with their line instead of dropping them silently', async () => {
    const dir = tempDataDir('glue')
    const file = write(dir, 'dev.tsv', 'sentence\tlabel\ngood one\t1\nmissing label\nweird\t7\nfine\t0\n')
    const s = await loadGlue('sst2', file)
    expect(s.examples.map((e) => e.a)).toEqual(['good one', 'fine'])
    expect(s.problems).toEqual([
      { line: 3, reason: 'expected 2 columns, found 1' },
      { line: 4, reason: 'label "7" in column "label" is not one of 0..1' },
    ])
    write(dir, 'dev.tsv', 'text\tlabel\nx\t1\n')
    await expect(loadGlue('sst2', file)).rejects.toThrow(/no "sentence" column for GLUE sst2/)
    await expect(loadGlue('imdb', file)).rejects.toThrow(/Unknown GLUE task "imdb"/)
  })
})

describe('GLUE from Hugging Face parquet and jsonl', () => {
  // The hub's nyu-mll/glue layout: sentence1, sentence2, label (int64), idx; test labels are -1.
  async function mrpcAsHub(dir: string) {
    const dev = await loadGlue('mrpc', path.join(DATA, 'mrpc/dev.tsv'))
    const ex = dev.examples
    const hub = path.join(dir, 'mrpc')
    fs.mkdirSync(hub, { recursive: true })
    parquetWriteFile({
      filename: path.join(hub, 'validation-00000-of-00001.parquet'),
      columnData: [
        { name: 'sentence1', data: ex.map((e) => e.a), type: 'STRING' },
        { name: 'sentence2', data: ex.map((e) => e.b), type: 'STRING' },
        { name: 'label', data: ex.map((e) => BigInt(e.label!)), type: 'INT64' },
        { name: 'idx', data: ex.map((_, i) => i), type: 'INT32' },
      ],
    })
    parquetWriteFile({
      filename: path.join(hub, 'test-00000-of-00001.parquet'),
      columnData: [
        { name: 'sentence1', data: ['a'], type: 'STRING' },
        { name: 'sentence2', data: ['b'], type: 'STRING' },
        { name: 'label', data: [-1n], type: 'INT64' },
        { name: 'idx', data: [0], type: 'INT32' },
      ],
    })
    const half = Math.floor(ex.length / 2)
    const jsonl = (xs: typeof ex) => xs.map((e, i) => JSON.stringify({ sentence1: e.a, sentence2: e.b, label: e.label, idx: i })).join('\n')
    fs.writeFileSync(path.join(hub, 'train-00000-of-00002.jsonl'), jsonl(ex.slice(0, half)))
    fs.writeFileSync(path.join(hub, 'train-00001-of-00002.jsonl'), jsonl(ex.slice(half)) + '\n{"sentence1": broken\n')
    return dev
  }

  it('reads the hub layout (parquet with int64 labels, sharded jsonl) into the same examples as the TSV', async () => {
    const dir = tempDataDir('glue-hub')
    const dev = await mrpcAsHub(dir)
    const folder = openDatasetFolder(dir, 'mrpc')
    expect(folder.task).toBe('mrpc')
    expect(folder.splits.map((s) => [s.name, s.files.length])).toEqual([
      ['train', 2],
      ['validation', 1],
      ['test', 1],
    ])
    const val = await loadFolderSplit(folder, 'validation')
    expect(val.examples.map((e) => [e.a, e.b, e.label])).toEqual(dev.examples.map((e) => [e.a, e.b, e.label]))
    expect(val.where).toBe('row')
    const train = await loadFolderSplit(folder, 'train')
    expect(train.examples.map((e) => e.a)).toEqual(dev.examples.map((e) => e.a))
    expect(train.problems).toHaveLength(1)
    expect(train.problems[0].reason).toMatch(/^train-00001-of-00002\.jsonl: not valid JSON/)
    expect((await loadFolderSplit(folder, 'test')).examples[0].label).toBeNull()
    await expect(loadFolderSplit(folder, 'dev_mismatched')).rejects.toThrow(/no "dev_mismatched" split \(have train, validation, test\)/)
  })

  it('finds the splits and the task of GLUE TSV folders by name', () => {
    const mrpc = openDatasetFolder(path.join(DATA, 'mrpc'))
    expect(mrpc.task).toBe('mrpc')
    expect(mrpc.splits.map((s) => s.name)).toEqual(['train', 'validation', 'test'])
    expect(openDatasetFolder(path.join(DATA, 'glue/SST-2')).task).toBe('sst2')
    expect(openDatasetFolder(path.join(DATA, 'glue/CoLA')).splits.map((s) => s.name)).toEqual(['validation'])
    expect(taskFromName('STS-B')).toBe('stsb')
    expect(taskFromName('imdb')).toBeNull()
    expect(() => openDatasetFolder(path.join(DATA, 'vocab'))).toThrow(/no split files/)
  })

  it('refuses a file that is not parquet, naming it', async () => {
    const dir = tempDataDir('glue-bad-parquet')
    const file = write(dir, 'validation.parquet', 'PAR1 this is not parquet')
    await expect(loadGlue('mrpc', file)).rejects.toThrow(/validation\.parquet: not a readable parquet file/)
  })
})
