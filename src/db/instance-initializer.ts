import type { Field } from './fields/field.ts'
import type { Options } from './options.ts'
import type { Model } from './model.ts'
import { compileOr, literal } from './codegen.ts'

/**
 * Sets a new instance's attributes from constructor values and defaults; returns how many of the
 * given names it used, so the caller can tell unknown names without a set per instance.
 */
export type InstanceInitializer = (instance: Model, values: Record<string, unknown>) => number

const initializers = new WeakMap<Options, InstanceInitializer>()

/**
 * The initializer of a model: generated code (see codegen.ts) with one plain store per field, made
 * once per model, since every `new Model({...})` runs it; a loop where code generation is forbidden.
 *
 * Per concrete field: the value by name (for a relation, an object assigned through its
 * descriptor, the key column cleared first), else by attname (`<fk>Id`), else the field's default.
 * Private fields (generic keys) take a value only when given; `pk` sets the primary key.
 */
export function instanceInitializer(meta: Options): InstanceInitializer {
  let initializer = initializers.get(meta)
  if (!initializer) initializers.set(meta, (initializer = compileInitializer(meta)))
  return initializer
}

function compileInitializer(meta: Options): InstanceInitializer {
  const concrete = meta.concreteFields
  const lines: string[] = []
  concrete.forEach((field, i) => {
    const name = literal(field.name)
    const attname = literal(field.attname)
    const byAttname = field.attname !== field.name
    const given = field.isRelation
      ? `o[${attname}] = null; o[${name}] = v;${byAttname ? ` if (values[${attname}] !== undefined) used++;` : ''}`
      : `o[${attname}] = v;`
    lines.push(`v = values[${name}]; if (v !== undefined) { used++; ${given} }`)
    if (byAttname) lines.push(`else if ((v = values[${attname}]) !== undefined) { used++; o[${attname}] = v; }`)
    lines.push(`else o[${attname}] = concrete[${i}].getDefault();`)
  })
  for (const field of meta.privateFields) {
    const name = literal(field.name)
    lines.push(`v = values[${name}]; if (v !== undefined) { used++; o[${name}] = v; }`)
  }
  lines.push(`v = values.pk; if (v !== undefined) { used++; o[${literal(meta.pk.attname)}] = v; }`)
  const body = [
    'return function initialize(o, values) {',
    '  let used = 0, v;',
    ...lines.map((line) => `  ${line}`),
    '  return used;',
    '};',
  ].join('\n')
  return compileOr<(concrete: readonly Field[]) => InstanceInitializer>(['concrete'], body, () => () => loopInitializer(meta))(concrete)
}

/** The generated initializer's work as a loop, for runtimes that forbid code from strings. */
function loopInitializer(meta: Options): InstanceInitializer {
  return (instance, values) => {
    const target = instance as unknown as Record<string, unknown>
    let used = 0
    for (const field of meta.concreteFields) {
      const value = values[field.name]
      if (value !== undefined) {
        used++
        if (field.isRelation) {
          target[field.attname] = null
          target[field.name] = value
          if (field.attname !== field.name && values[field.attname] !== undefined) used++
          continue
        }
        target[field.attname] = value
      } else if (field.attname !== field.name && values[field.attname] !== undefined) {
        used++
        target[field.attname] = values[field.attname]
      } else {
        target[field.attname] = field.getDefault()
      }
    }
    for (const field of meta.privateFields) {
      if (values[field.name] !== undefined) {
        used++
        target[field.name] = values[field.name]
      }
    }
    if (values.pk !== undefined) {
      used++
      target[meta.pk.attname] = values.pk
    }
    return used
  }
}
