// The bench's figures: latency by batch size per variant (the seed study's figure, with and
// without flash attention), and the accuracy x latency x size trade-off (bubble = weights MB).
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Scatter, ScatterChart, Tooltip, XAxis, YAxis, ZAxis } from 'recharts'
import type { BenchRow, BenchSeq } from '../../../src-main/engine/bench/bench-variant'

export const VARIANT_COLORS: Record<string, string> = {
  'native-fp32': '#4ea1ff',
  'native-fp32-naive': '#9ab8e0',
  'native-int8': '#3ccf91',
  'native-nf4': '#f5c97a',
  'ort-fp32': '#ff7a90',
  'ort-int8': '#c792ea',
}
const axis = { stroke: '#8a96a8', fontSize: 12 }
const tooltip = { contentStyle: { background: '#141a23', border: '1px solid #2a3240' } }

export function LatencyByBatch({ rows, seq }: { rows: BenchRow[]; seq: BenchSeq }) {
  const variants = [...new Set(rows.map((r) => r.variant))]
  const batches = [...new Set(rows.filter((r) => r.seq === seq).map((r) => r.batch))].sort((a, b) => a - b)
  const data = batches.map((b) => Object.fromEntries([['batch', b], ...variants.map((v) => [v, rows.find((r) => r.variant === v && r.batch === b && r.seq === seq)?.p50_ms ?? null])]))
  return (
    <figure className="chart" data-chart="latency-by-batch">
      <figcaption>p50 latency (ms) by batch size, sequence {String(seq)}</figcaption>
      <ResponsiveContainer width="100%" height={280}>
        <LineChart data={data} margin={{ top: 8, right: 16, bottom: 4, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="#2a3240" />
          <XAxis dataKey="batch" {...axis} />
          <YAxis {...axis} width={64} scale="log" domain={['auto', 'auto']} allowDataOverflow />
          <Tooltip {...tooltip} />
          <Legend />
          {variants.map((v) => (
            <Line key={v} dataKey={v} stroke={VARIANT_COLORS[v]} strokeDasharray={v.includes('naive') ? '5 4' : undefined} dot isAnimationActive={false} connectNulls />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </figure>
  )
}

export function TradeOff({ rows, seq, batch }: { rows: BenchRow[]; seq: BenchSeq; batch: number }) {
  const cell = rows.filter((r) => r.seq === seq && r.batch === batch && r.dev_accuracy !== null)
  return (
    <figure className="chart" data-chart="trade-off">
      <figcaption>
        Dev accuracy × latency × size at batch {batch}, sequence {String(seq)} (bubble: weights MB)
      </figcaption>
      <ResponsiveContainer width="100%" height={280}>
        <ScatterChart margin={{ top: 8, right: 16, bottom: 4, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="#2a3240" />
          <XAxis type="number" dataKey="latency" name="p50 ms" {...axis} />
          <YAxis type="number" dataKey="accuracy" name="dev accuracy %" domain={['auto', 'auto']} {...axis} width={56} />
          <ZAxis type="number" dataKey="size" name="weights MB" range={[60, 600]} />
          <Tooltip {...tooltip} />
          <Legend />
          {cell.map((r) => (
            <Scatter key={r.variant} name={r.variant} fill={VARIANT_COLORS[r.variant]} data={[{ latency: Number(r.p50_ms.toFixed(2)), accuracy: Number((100 * r.dev_accuracy!).toFixed(2)), size: Number(r.weights_mb.toFixed(1)) }]} />
          ))}
        </ScatterChart>
      </ResponsiveContainer>
    </figure>
  )
}
