// `tbw runs list|show|compare|export|rm`: the run history from the command line,
// with the same filter language as the Runs page.
import fs from 'node:fs'
import { Option, type Command } from 'commander'
import { RUN_STATUSES, type RunDetail } from '../../contract/types'
import type { AppServices } from '../../services/app-services'
import { runsToCsv, runsToJson } from '../../services/runs/export-format'
import { table } from './format'

const printJson = (v: unknown) => console.log(JSON.stringify(v, null, 2))
const ids = (list: string[]) => list.map((v) => {
  const n = Number(v)
  if (!Number.isInteger(n) || n < 1) throw new Error(`"${v}" is not a run id`)
  return n
})
const show = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'number' ? String(Number(v.toPrecision(6))) : typeof v === 'string' ? v : JSON.stringify(v))

async function lastMetrics(s: AppServices, run: RunDetail): Promise<Record<string, number | null>> {
  const series = await s.call('runs.metrics', { runId: run.id, maxPoints: 2 })
  return Object.fromEntries(series.map((m) => [m.key, m.points.at(-1)?.value ?? null]))
}

export function registerRunsCommands(program: Command, withServices: <T>(fn: (s: AppServices) => Promise<T>) => Promise<T>): void {
  const runs = program.command('runs').description('the run history')
  runs
    .command('list')
    .description('list runs, newest first')
    .option('--json', 'machine-readable output')
    .option('--limit <n>', 'at most this many runs', (v) => Number(v), 50)
    .addOption(new Option('--status <status>', 'only runs with this status').choices([...RUN_STATUSES]))
    .option('--filter <expr>', 'e.g. "metrics.eval/accuracy > 0.8 and params.loraR = 16" (fields: id kind name status notes created tag archived params.X metrics.X summary.X)')
    .option('--search <text>', 'free text over names and notes')
    .action((o: { json?: boolean; limit: number; status?: (typeof RUN_STATUSES)[number]; filter?: string; search?: string }) =>
      withServices(async (s) => {
        const list = await s.call('runs.list', { limit: o.limit, status: o.status, filter: o.filter, search: o.search })
        if (o.json) return printJson(list)
        if (!list.length) return console.log(o.filter || o.search ? 'No runs match.' : 'No runs yet. Try `tbw selftest`.')
        console.log(
          table(
            list.map((r) => ({
              id: r.id,
              kind: r.kind,
              status: r.status,
              progress: r.progress === null ? '' : `${Math.round(r.progress * 100)}%`,
              created: r.createdAt.replace('T', ' ').slice(0, 19),
              name: r.name,
            })),
            ['id', 'kind', 'status', 'progress', 'created', 'name'],
          ),
        )
      }),
    )

  runs
    .command('show <id>')
    .description('one run: status, params, last metric values, artifacts')
    .option('--json', 'machine-readable output')
    .action((id: string, o: { json?: boolean }) =>
      withServices(async (s) => {
        const [runId] = ids([id])
        const run = await s.call('runs.get', { id: runId })
        const metrics = await lastMetrics(s, run)
        const artifacts = await s.call('runs.artifacts', { runId })
        if (o.json) return printJson({ ...run, lastMetrics: metrics, artifacts })
        console.log(`run ${run.id} · ${run.kind} · ${run.status} · ${run.name}`)
        if (run.error) console.log(`error: ${run.error}`)
        for (const [k, v] of Object.entries(run.params)) console.log(`  params.${k} = ${show(v)}`)
        for (const [k, v] of Object.entries(metrics)) console.log(`  metrics.${k} = ${show(v)}`)
        for (const a of artifacts) console.log(`  ${a.kind}: ${a.path} (${a.bytes} bytes, sha256 ${a.sha256.slice(0, 12)}…)`)
      }),
    )

  runs
    .command('compare <ids...>')
    .description('parameters that differ between runs (--all for every one), and each metric\'s last and best value')
    .option('--all', 'show parameters that are the same too')
    .option('--json', 'machine-readable output')
    .action((list: string[], o: { all?: boolean; json?: boolean }) =>
      withServices(async (s) => {
        const c = await s.call('runs.compare', { ids: ids(list), all: !!o.all })
        if (o.json) return printJson(c)
        const cols = ['param', ...c.runs.map((r) => `run ${r.id}`)]
        console.log(table(c.params.map((p) => Object.fromEntries([['param', p.key], ...p.values.map((v, i) => [`run ${c.runs[i].id}`, show(v)])])), cols))
        if (c.hiddenSameParams) console.log(`(${c.hiddenSameParams} parameters are the same in every run; --all shows them)`)
        const mcols = ['metric (last / best)', ...c.runs.map((r) => `run ${r.id}`)]
        console.log(table(c.metrics.map((m) => Object.fromEntries([['metric (last / best)', m.key], ...m.last.map((v, i) => [`run ${c.runs[i].id}`, `${show(v)} / ${show(m.best[i])}`])])), mcols))
      }),
    )

  runs
    .command('export <ids...>')
    .description('runs as JSON (config, params, full metric curves) or CSV (one row per run: params and last metrics)')
    .addOption(new Option('--format <format>', 'json or csv').choices(['json', 'csv']).default('json'))
    .option('--out <file>', 'write to this file instead of stdout')
    .action((list: string[], o: { format: 'json' | 'csv'; out?: string }) =>
      withServices(async (s) => {
        const details = await Promise.all(ids(list).map((id) => s.call('runs.get', { id })))
        const series = await Promise.all(details.map((r) => s.call('runs.metrics', { runId: r.id, maxPoints: 100_000 })))
        const text = o.format === 'json' ? runsToJson(details, series) : runsToCsv(details, series)
        if (o.out) {
          const tmp = `${o.out}.tmp-${process.pid}`
          fs.writeFileSync(tmp, text)
          fs.renameSync(tmp, o.out)
          console.log(`wrote ${o.out}`)
        } else process.stdout.write(text.endsWith('\n') ? text : `${text}\n`)
      }),
    )

  runs
    .command('rm <ids...>')
    .description('delete runs with their metrics and their files (checkpoints, traces) unless --keep-files')
    .option('--keep-files', 'keep the runs\' folders on disk')
    .option('--yes', 'do not ask')
    .action((list: string[], o: { keepFiles?: boolean; yes?: boolean }) =>
      withServices(async (s) => {
        const runIds = ids(list)
        if (!o.yes) {
          if (!process.stdin.isTTY) throw new Error('pass --yes to delete without a prompt')
          process.stdout.write(`Delete run${runIds.length > 1 ? 's' : ''} ${runIds.join(', ')}${o.keepFiles ? '' : ' and their files'}? [y/N] `)
          const answer = await new Promise<string>((resolve) => process.stdin.once('data', (d) => resolve(String(d).trim())))
          process.stdin.pause()
          if (!/^y(es)?$/i.test(answer)) return console.log('Nothing deleted.')
        }
        const r = await s.call('runs.delete', { ids: runIds, artifacts: !o.keepFiles })
        console.log(`deleted run${r.deleted.length > 1 ? 's' : ''} ${r.deleted.join(', ')}`)
      }),
    )
}
