import { sql, type RawBuilder } from 'kysely'
import type { DatabaseBackend } from '../backends/backend.ts'
import type { Field } from '../fields/field.ts'
import type { Col, JoinExtra, LookupCondition, Query, SubqueryCondition, WhereNode } from './query.ts'
import { compileLookup } from './lookups.ts'
import type { Resolved } from './expressions.ts'

/** A selected expression, read back under `key`. */
export interface SelectColumn {
  readonly key: string
  readonly expression: RawBuilder<unknown>
  /** The plain expression (for GROUP BY), when it is not an aggregate. */
  readonly groupable?: RawBuilder<unknown> | undefined
}

/** `"alias"."column"`. */
export function colRef(col: Col): RawBuilder<unknown> {
  return sql.ref(`${col.alias}.${col.field.column}`)
}

/** A selected column, read back under `key`. */
export function selectColumn(col: Col, key: string, backend: DatabaseBackend): SelectColumn {
  return { key, expression: sql`${backend.selectColumn(col.field.dbType, colRef(col))} AS ${sql.id(key)}`, groupable: colRef(col) }
}

/** A selected expression (annotation), read back under `key`. */
export function selectExpression(expression: Resolved, key: string, backend: DatabaseBackend): SelectColumn {
  const compiled = expression.compile(backend)
  return { key, expression: sql`${compiled} AS ${sql.id(key)}`, groupable: expression.containsAggregate ? undefined : compiled }
}

/**
 * `column = value` for a JoinExtra. Where the condition may stand under NOT (`negatable`) and the
 * value is a subquery, `column IN (subquery)`: a subquery that finds no row makes IN false, where
 * `=` makes it NULL and NOT(NULL) drops rows. Elsewhere `=`, which planners join on better.
 */
function extraCondition(column: string, extra: JoinExtra, backend: DatabaseBackend, negatable = false): RawBuilder<unknown> {
  const value = extra.value(backend.alias)
  const isSql = (value as { isRawBuilder?: boolean } | null)?.isRawBuilder === true
  return isSql && negatable ? sql`${sql.ref(column)} IN ${value}` : sql`${sql.ref(column)} = ${value}`
}

/** FROM with its joins. */
export function compileFrom(query: Query, backend: DatabaseBackend): RawBuilder<unknown> {
  const base = sql.table(query.model._meta.dbTable)
  const joins = query.joins.map((j) => {
    const parent = sql.ref(`${j.parentAlias}.${j.parentColumn}`)
    const child = sql.ref(`${j.alias}.${j.column}`)
    const on = sql`${j.parentText ? backend.castToText(parent, j.parentText) : parent} = ${j.childText ? backend.castToText(child, j.childText) : child}`
    const extra = j.extra ? sql` AND ${extraCondition(`${j.extra.onParent ? j.parentAlias : j.alias}.${j.extra.column}`, j.extra, backend)}` : sql``
    return sql` ${sql.raw(j.outer ? 'LEFT OUTER JOIN' : 'INNER JOIN')} ${sql.table(j.table)} AS ${sql.id(j.alias)} ON (${on}${extra})`
  })
  return sql`${base}${sql.join(joins, sql``)}`
}

interface WhereContext {
  readonly backend: DatabaseBackend
}

/** WHERE (or nothing). */
export function compileWhere(query: Query, backend: DatabaseBackend): RawBuilder<unknown> {
  const parts = whereParts(query, backend)
  return parts.length === 0 ? sql`` : sql` WHERE ${sql.join(parts, sql` AND `)}`
}

/** The WHERE condition without the keyword (`1 = 1` when there is none). */
export function compileCondition(query: Query, backend: DatabaseBackend): RawBuilder<unknown> {
  const parts = whereParts(query, backend)
  return parts.length === 0 ? sql`1 = 1` : sql.join(parts, sql` AND `)
}

function whereParts(query: Query, backend: DatabaseBackend): RawBuilder<unknown>[] {
  if (query.empty) return [sql`1 = 0`]
  const parts: RawBuilder<unknown>[] = []
  for (const extra of query.extraWhere) parts.push(extraCondition(`${query.baseAlias}.${extra.column}`, extra, backend))
  if (query.where) parts.push(compileNode(query.where, { backend }, false))
  return parts
}

function compileNode(node: WhereNode | LookupCondition | SubqueryCondition, context: WhereContext, negatedContext: boolean): RawBuilder<unknown> {
  if (node.kind === 'lookup') return compileLookupCondition(node, context, negatedContext)
  if (node.kind === 'subquery') return compileSubqueryCondition(node, context, negatedContext)
  const negated = negatedContext !== node.negated
  const parts = node.children.map((child) => compileNode(child, context, negated))
  const joined = parts.length === 0 ? sql`1 = 1` : parts.length === 1 ? parts[0]! : sql`(${sql.join(parts, sql.raw(` ${node.connector} `))})`
  return node.negated ? sql`NOT (${joined})` : joined
}

/**
 * Under a NOT, a comparison with a column that may be NULL must also require it to be set:
 * otherwise NOT (NULL = x) is NULL, and exclude() would drop the rows filter() drops too.
 */
function compileLookupCondition(condition: LookupCondition, context: WhereContext, negatedContext: boolean): RawBuilder<unknown> {
  const lhs = condition.lhs.compile(context.backend)
  const compiled = compileLookup(condition.lookup, lhs, condition.value, condition.field, context.backend)
  if (!negatedContext || condition.lookup === 'isnull') return compiled
  const required: RawBuilder<unknown>[] = []
  if (condition.nullable) required.push(sql`${lhs} IS NOT NULL`)
  if (condition.valueNullable) required.push(sql`${(condition.value as Resolved).compile(context.backend)} IS NOT NULL`)
  return required.length === 0 ? compiled : sql`(${compiled} AND ${sql.join(required, sql` AND `)})`
}

function compileSubqueryCondition(condition: SubqueryCondition, context: WhereContext, negatedContext: boolean): RawBuilder<unknown> {
  const inner = condition.inner
  const innerColumn = condition.innerText ? context.backend.castToText(colRef(condition.innerCol), condition.innerText) : colRef(condition.innerCol)
  const select = sql`SELECT ${innerColumn} FROM ${compileFrom(inner, context.backend)}${compileWhere(inner, context.backend)}`
  const lhs = condition.lhs.compile(context.backend)
  let test = sql`${condition.lhsText ? context.backend.castToText(lhs, condition.lhsText) : lhs} IN (${select})`
  const outer = condition.outerExtra
  if (outer) test = sql`(${extraCondition(`${outer.alias}.${outer.extra.column}`, outer.extra, context.backend, true)} AND ${test})`
  return negatedContext && condition.nullable ? sql`(${test} AND ${lhs} IS NOT NULL)` : test
}

/** A subquery's SQL selecting one column, for `in` lookups with a queryset. */
export function compileSubquery(query: Query, column: SelectColumn, backend: DatabaseBackend): RawBuilder<unknown> {
  const inner = query.clone()
  if (!inner.isSliced) inner.ordering = []
  return compileSelect(inner, [{ ...column, expression: column.groupable ?? column.expression }], backend)
}

/** ORDER BY terms, resolved on the (cloned) query so their joins exist before FROM is built. */
function compileOrderBy(query: Query, backend: DatabaseBackend): { sql: RawBuilder<unknown>; expressions: RawBuilder<unknown>[] } {
  const names = query.ordering ?? query.model._meta.ordering
  if (names.length === 0) return { sql: sql``, expressions: [] }
  const terms = query.resolveOrdering(names)
  const expressions = terms.filter((t) => !t.expression.containsAggregate).map((t) => t.expression.compile(backend))
  return {
    sql: sql` ORDER BY ${sql.join(terms.map((t) => sql`${t.expression.compile(backend)} ${sql.raw(t.descending ? 'DESC' : 'ASC')}`))}`,
    expressions,
  }
}

/** LIMIT / OFFSET in the dialect's spelling. */
function compileLimit(query: Query, backend: DatabaseBackend): RawBuilder<unknown> {
  const limit = query.high === undefined ? undefined : query.high - query.low
  return backend.limitOffset(limit, query.low)
}

/** A full SELECT of the given columns, grouped when an annotation aggregates. */
export function compileSelect(original: Query, columns: readonly SelectColumn[], backend: DatabaseBackend, options: { groupBy?: RawBuilder<unknown>[] } = {}): RawBuilder<unknown> {
  // Ordering across relations adds joins: resolve it on a copy, so the queryset's query stays as it was.
  const names = original.ordering ?? original.model._meta.ordering
  const query = names.some((n) => n.includes('__')) ? original.clone() : original
  const orderBy = compileOrderBy(query, backend)
  let groupBy = sql``
  if (query.hasAggregate || options.groupBy) {
    const keys = options.groupBy ?? columns.flatMap((c) => (c.groupable ? [c.groupable] : []))
    const all = [...keys, ...orderBy.expressions]
    if (all.length > 0) groupBy = sql` GROUP BY ${sql.join(all)}`
  }
  const having = query.having ? sql` HAVING ${compileNode(query.having, { backend }, false)}` : sql``
  const lock = query.forUpdate ? sql.raw(` FOR UPDATE${query.forUpdate.nowait ? ' NOWAIT' : query.forUpdate.skipLocked ? ' SKIP LOCKED' : ''}`) : sql``
  return sql`SELECT ${sql.raw(query.distinct ? 'DISTINCT ' : '')}${sql.join(columns.map((c) => c.expression))} FROM ${compileFrom(query, backend)}${compileWhere(query, backend)}${groupBy}${having}${orderBy.sql}${compileLimit(query, backend)}${lock}`
}

/** SELECT COUNT(*) for the query (through a subquery when sliced, distinct or grouped). */
export function compileCount(query: Query, columns: readonly SelectColumn[], backend: DatabaseBackend): RawBuilder<unknown> {
  if (query.isSliced || query.distinct || query.hasAggregate) {
    const inner = query.clone()
    if (!inner.isSliced) inner.ordering = []
    return sql`SELECT COUNT(*) AS ${sql.id('__count')} FROM (${compileSelect(inner, columns, backend)}) AS ${sql.id('subquery')}`
  }
  return sql`SELECT COUNT(*) AS ${sql.id('__count')} FROM ${compileFrom(query, backend)}${compileWhere(query, backend)}`
}

export type { Field }
