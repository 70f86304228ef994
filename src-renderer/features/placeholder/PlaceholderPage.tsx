import type { PageInfo } from '../../app/pages'

export function PlaceholderPage({ page }: { page: PageInfo }) {
  return (
    <section className="page placeholder">
      <h1>{page.label}</h1>
      <p className="coming">Coming next: {page.coming}</p>
    </section>
  )
}
