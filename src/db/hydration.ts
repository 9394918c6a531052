import { FROM_DB, type Model } from './model.ts'
import { compileOr, literal } from './codegen.ts'

/** How one selected column becomes a value: its position in the row, attribute, conversion. */
export interface Reader {
  /** The column's position in the select list: rows are read as arrays. */
  readonly index: number
  readonly target: string
  readonly convert: ((value: unknown) => unknown) | undefined
}

/** Builds an instance from one row, its fields set and its state marked as loaded from `db`. */
export type RowBuilder = (row: unknown[], db: string) => Model

type BuilderFactory = (model: typeof Model, fromDb: typeof FROM_DB, converters: ReadonlyArray<Reader['convert']>) => RowBuilder

/** Factories by model, then by the shape of their readers (positions, attributes, which convert). */
const factories = new WeakMap<typeof Model, Map<string, BuilderFactory>>()

/**
 * A row builder for a model and its readers: generated code (see codegen.ts) with one plain store
 * per field, made once per model and reader shape (converters are passed in, so queries of the
 * same shape share the compiled code). A loop where code generation is forbidden.
 */
export function rowBuilder(model: typeof Model, readers: readonly Reader[]): RowBuilder {
  let byShape = factories.get(model)
  if (!byShape) factories.set(model, (byShape = new Map()))
  // JSON, not a joined string: annotation names may hold any character.
  const shape = JSON.stringify(readers.map((r) => [r.index, r.target, r.convert ? 1 : 0]))
  let factory = byShape.get(shape)
  if (!factory) {
    // Shapes are few (only()/defer() and annotations vary them); bound the cache all the same.
    if (byShape.size >= 64) byShape.clear()
    byShape.set(shape, (factory = generatedFactory(readers)))
  }
  return factory(model, FROM_DB, readers.map((r) => r.convert))
}

/** The generated builder's work as a loop, for runtimes that forbid code from strings. */
function loopFactory(readers: readonly Reader[]): BuilderFactory {
  return (model, fromDb, converters) => (row, db) => {
    const instance = new (model as unknown as new (v: typeof FROM_DB) => Model)(fromDb)
    const target = instance as unknown as Record<string, unknown>
    readers.forEach((reader, i) => {
      const value = row[reader.index]
      const convert = converters[i]
      target[reader.target] = value === null || value === undefined ? null : convert ? convert(value) : value
    })
    instance._state.adding = false
    instance._state.db = db
    return instance
  }
}

function generatedFactory(readers: readonly Reader[]): BuilderFactory {
  const lines = readers.map((reader, i) => {
    const index = Number(reader.index)
    if (!Number.isInteger(index) || index < 0) throw new TypeError(`Invalid column position ${String(reader.index)}.`)
    const read = reader.convert ? `converters[${i}](v)` : 'v'
    return `v = row[${index}]; o[${literal(reader.target)}] = v === null || v === undefined ? null : ${read};`
  })
  const body = [
    'return function buildRow(row, db) {',
    '  const o = new Model(fromDb);',
    '  let v;',
    ...lines.map((line) => `  ${line}`),
    '  const state = o._state;',
    '  state.adding = false;',
    '  state.db = db;',
    '  return o;',
    '};',
  ].join('\n')
  return compileOr<BuilderFactory>(['Model', 'fromDb', 'converters'], body, () => loopFactory(readers))
}
