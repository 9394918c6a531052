/**
 * `npm run bench -- --db sqlite|postgres|mysql [--targets N] [--tags K] [--repeat R] [--only a,b] [--schema floor|django]`:
 * the workloads of ../shared/bench/WORKLOADS.md through this project's public API. Prints the same
 * JSON as raw_floor.mjs and django_reference/run.py, plus get_for_model_100k_awaited (the lookups
 * awaiting getForModel every time, which no reference has).
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { Count, atomic, captureQueries, closeAll, connections, migrate, setup } from '../src/db/index.ts'
import { ContentType, contentTypesApp } from '../src/contenttypes/index.ts'
import { type BenchSchema, defineBenchModels } from './models.ts'

const { values: args } = parseArgs({
  options: {
    db: { type: 'string', default: 'sqlite' },
    'pg-url': { type: 'string', default: process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
    'mysql-url': { type: 'string', default: process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test' },
    targets: { type: 'string', default: '3000' },
    tags: { type: 'string', default: '5' },
    repeat: { type: 'string', default: '5' },
    only: { type: 'string' },
    schema: { type: 'string', default: 'floor' },
  },
})
const N = Number(args.targets)
const K = Number(args.tags)
const REPEAT = Number(args.repeat)
// `--only a,b` runs just those workloads (for profiling one with `node --cpu-prof`).
const only = args.only ? new Set(args.only.split(',')) : undefined
const wanted = (name: string) => !only || only.has(name)
const urls: Record<string, string> = {
  sqlite: `sqlite:${join(mkdtempSync(join(tmpdir(), 'bench-')), 'bench.sqlite3')}`,
  postgres: args['pg-url']!,
  mysql: args['mysql-url']!,
}
if (args.schema !== 'floor' && args.schema !== 'django') throw new Error(`--schema must be floor or django (got ${args.schema})`)
const { Animal, Bookmark, Note, TaggedItem, benchApp } = defineBenchModels(args.schema as BenchSchema)
const url = urls[args.db!]
if (!url) throw new Error(`--db must be sqlite, postgres or mysql (got ${args.db})`)

await setup({ databases: { default: url }, apps: [contentTypesApp, benchApp] })
// Fresh bench tables every run. The content type table stays when it was there (it may be
// Django's, shared); one this run made goes at the end, so Django's migrate can make its own later.
const benchTables = [TaggedItem, Bookmark, Animal, Note].map((m) => m._meta.dbTable)
await connections.get().dropTables(benchTables)
const madeTables = (await connections.get().tableNames()).has(ContentType._meta.dbTable) ? [] : [ContentType._meta.dbTable]
await migrate({ verbosity: 0 })

async function resetData(): Promise<void> {
  for (const model of [TaggedItem, Bookmark, Animal, Note]) await model.objects.all().rawDelete()
}

async function populate(): Promise<void> {
  await atomic(async () => {
    const bookmarks = await Bookmark.objects.bulkCreate(Array.from({ length: N }, (_, i) => new Bookmark({ url: `https://example.com/${i}` })))
    const animals = await Animal.objects.bulkCreate(Array.from({ length: N }, (_, i) => new Animal({ name: `animal${i}`, weight: i % 500 })))
    const notes = await Note.objects.bulkCreate(Array.from({ length: N }, (_, i) => new Note({ text: `note ${i}` })))
    const items: InstanceType<typeof TaggedItem>[] = []
    for (const objects of [bookmarks, animals, notes]) {
      const ct = await ContentType.objects.getForModel(objects[0]!)
      for (const object of objects) {
        for (let j = 0; j < K; j++) items.push(new TaggedItem({ tag: `t${j}`, contentTypeId: ct.id, objectId: object.pk }))
      }
    }
    await TaggedItem.objects.bulkCreate(items, { batchSize: 1000 })
  })
}

const results: Record<string, { ms: number; queries: number }> = {}
function median(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b)
  return Math.round(sorted[sorted.length >> 1]! * 1000) / 1000
}

async function bench(name: string, fn: () => Promise<void>, options: { setup?: () => Promise<void>; repeat?: number } = {}): Promise<void> {
  if (!wanted(name)) return
  const times: number[] = []
  for (let i = 0; i < (options.repeat ?? REPEAT); i++) {
    await options.setup?.()
    ContentType.objects.clearCache()
    const t0 = performance.now()
    await fn()
    times.push(performance.now() - t0)
  }
  await options.setup?.()
  ContentType.objects.clearCache()
  const { queries } = await captureQueries(fn)
  results[name] = { ms: median(times), queries: queries.length }
}

try {
  await bench('create', populate, { setup: resetData, repeat: Math.max(1, REPEAT >> 1) })
  await resetData()
  await populate()

  await bench('gfk_prefetch', async () => {
    let s = 0
    for (const item of await TaggedItem.objects.prefetchRelated('contentObject')) s += (item._state.fieldsCache.contentObject as InstanceType<typeof Bookmark>).pk
    if (!(s > 0)) throw new Error('gfk_prefetch')
  })

  await bench('reverse_prefetch', async () => {
    let c = 0
    for (const bookmark of await Bookmark.objects.prefetchRelated('tags')) c += (await bookmark.tags.all()).length
    if (c !== N * K) throw new Error(`reverse_prefetch ${c}`)
  })

  await bench('rqn_filter', async () => {
    const rows = await TaggedItem.objects.filter({ bookmark__url__contains: '7' })
    if (rows.length === 0) throw new Error('rqn_filter')
  })

  await bench('annotate_count', async () => {
    const rows = await Bookmark.objects.annotate({ n: Count('tags') })
    if (!rows.every((r) => r.n === K)) throw new Error('annotate_count')
  })

  /**
   * 100,000 cached lookups, timed without clearing the cache. The loop runs inside a function, as
   * application code does: V8 optimizes a module's top-level code less, which alone doubled the
   * time of these awaits.
   */
  async function timeLookups(name: string, lookups: () => Promise<number>): Promise<void> {
    if (!wanted(name)) return
    const times: number[] = []
    for (let r = 0; r < REPEAT; r++) {
      await ContentType.objects.getForModels([Bookmark, Animal, Note])
      const t0 = performance.now()
      const sum = await lookups()
      times.push(performance.now() - t0)
      if (!(sum > 0)) throw new Error(name)
    }
    results[name] = { ms: median(times), queries: 0 }
  }

  const lookupModels = [Bookmark, Animal, Note]
  const contentTypes = ContentType.objects
  // A cached content type is there synchronously (peekForModel); getForModel, which may have to
  // query, is awaited only on a miss. This is the hot-loop form the README gives: the same result
  // as awaiting getForModel every time, without an await (a microtask) per call.
  await timeLookups('get_for_model_100k', async () => {
    let sum = 0
    for (let i = 0; i < 100_000; i++) {
      const model = lookupModels[i % 3]!
      sum += (contentTypes.peekForModel(model) ?? await contentTypes.getForModel(model)).id
    }
    return sum
  })

  // Not a workload of WORKLOADS.md (the references have no such row, so it counts in no ratio): the
  // same lookups awaiting getForModel every time, to show what 100,000 awaits cost by themselves.
  await timeLookups('get_for_model_100k_awaited', async () => {
    let sum = 0
    for (let i = 0; i < 100_000; i++) sum += (await contentTypes.getForModel(lookupModels[i % 3]!)).id
    return sum
  })

  await bench('cascade_delete', async () => {
    const cut = (await Bookmark.objects.orderBy('id').slice(N / 10, N / 10 + 1).valuesList('id', { flat: true }))[0]!
    const [, perModel] = await Bookmark.objects.filter({ id__lt: cut }).delete()
    if (perModel['bench.TaggedItem'] !== (N / 10) * K) throw new Error(`cascade_delete ${JSON.stringify(perModel)}`)
  }, { setup: async () => { await resetData(); await populate() }, repeat: 3 })
} finally {
  // Also after a failed workload: a leftover content type table would pass for Django's next time.
  await connections.get().dropTables([...benchTables, ...madeTables])
}
await closeAll()
console.log(JSON.stringify({ system: 'contenttypes-ts', db: args.db, targets: N, tags: K, results }, null, 1))
