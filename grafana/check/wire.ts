// @grafana/schema declares string enums (LegendDisplayMode.List = "list"); a dashboard file holds
// the bare string, which TypeScript does not accept for an enum type. Wire<T> is T as it travels in
// JSON: every string enum widened to the union of its values, everything else, including
// optionality, required members and unknown-key rejection, left as the schema says.
export type Wire<T> =
  T extends string ? `${T}` :
  T extends number | boolean | null | undefined ? T :
  T extends ReadonlyArray<infer E> ? Array<Wire<E>> :
  T extends object ? { [K in keyof T]: Wire<T[K]> } :
  T;
