// A metric series over steps (recharts).
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts'
import type { MetricPoint } from '../../../src-main/contract/types'

export function MetricChart(props: { title: string; points: MetricPoint[]; color?: string }) {
  return (
    <figure className="chart" data-metric={props.title}>
      <figcaption>{props.title}</figcaption>
      <ResponsiveContainer width="100%" height={220}>
        <LineChart data={props.points} margin={{ top: 8, right: 16, bottom: 4, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="#2a3240" />
          <XAxis dataKey="step" stroke="#8a96a8" fontSize={12} />
          <YAxis stroke="#8a96a8" fontSize={12} width={72} tickFormatter={(v: number) => v.toPrecision(3)} />
          <Tooltip contentStyle={{ background: '#141a23', border: '1px solid #2a3240' }} />
          <Line type="linear" dataKey="value" stroke={props.color ?? '#4ea1ff'} dot={false} isAnimationActive={false} connectNulls={false} />
        </LineChart>
      </ResponsiveContainer>
    </figure>
  )
}
