// A captioned bar chart (recharts) of count per category: label balance,
// length histograms, trace event categories.
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts'

export function BarChartFigure(props: { title: string; chart: string; data: object[]; x: string; color: string; height?: number }) {
  return (
    <figure className="chart" data-chart={props.chart}>
      <figcaption>{props.title}</figcaption>
      <ResponsiveContainer width="100%" height={props.height ?? 180}>
        <BarChart data={props.data} margin={{ top: 8, right: 16, bottom: 4, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="#2a3240" />
          <XAxis dataKey={props.x} stroke="#8a96a8" fontSize={11} />
          <YAxis stroke="#8a96a8" fontSize={12} />
          <Tooltip contentStyle={{ background: '#141a23', border: '1px solid #2a3240' }} />
          <Bar dataKey="count" fill={props.color} isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </figure>
  )
}
