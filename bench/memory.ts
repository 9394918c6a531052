/**
 * `npm run bench:memory`: streams every tagged item with its content object through
 * `iterator({ chunkSize: 2000 })` (prefetching per chunk) at 45,000 and at 450,000 tagged items,
 * each streamed in a process of its own (the data is built by another), and prints both peak RSS
 * figures: memory follows the chunk, not the table.
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const self = fileURLToPath(import.meta.url)

const role = process.argv[2]
if (role === '--populate' || role === '--stream') {
  const targets = Number(process.argv[3])
  const file = process.argv[4]!
  const { atomic, closeAll, migrate, setup } = await import('../src/db/index.ts')
  const { ContentType, contentTypesApp } = await import('../src/contenttypes/index.ts')
  const { Animal, Bookmark, Note, TaggedItem, benchApp } = (await import('./models.ts')).defineBenchModels('floor')
  await setup({ databases: { default: `sqlite:${file}` }, apps: [contentTypesApp, benchApp] })
  if (role === '--stream') {
    // A process of its own: the peak measured is the streaming's, not what building the data left behind.
    global.gc?.()
    const before = process.memoryUsage().rss
    let peak = before
    let seen = 0
    for await (const item of TaggedItem.objects.prefetchRelated('contentObject').iterator({ chunkSize: 2000 })) {
      if (item._state.fieldsCache.contentObject) seen++
      if (seen % 2000 === 0) peak = Math.max(peak, process.memoryUsage().rss)
    }
    peak = Math.max(peak, process.memoryUsage().rss)
    await closeAll()
    console.log(JSON.stringify({ items: seen, rssBeforeMb: before / 2 ** 20, peakRssMb: peak / 2 ** 20 }))
    process.exit(0)
  }
  await migrate({ verbosity: 0 })
  // Populate in slices, so building the data does not set the peak.
  for (const model of [Bookmark, Animal, Note] as const) {
    const ct = await ContentType.objects.getForModel(model)
    for (let start = 0; start < targets; start += 5000) {
      await atomic(async () => {
        const count = Math.min(5000, targets - start)
        const objects = await model.objects.bulkCreate(Array.from({ length: count }, (_, i) =>
          model === Bookmark ? new Bookmark({ url: `https://example.com/${start + i}` })
          : model === Animal ? new Animal({ name: `animal${start + i}`, weight: i % 500 })
          : new Note({ text: `note ${start + i}` })) as any)
        const items = objects.flatMap((o: any) => Array.from({ length: 5 }, (_, j) => new TaggedItem({ tag: `t${j}`, contentTypeId: ct.id, objectId: o.pk })))
        await TaggedItem.objects.bulkCreate(items)
      })
    }
  }
  await closeAll()
  process.exit(0)
}

function child(args: string[]): string {
  const result = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', self, ...args], { encoding: 'utf8' })
  if (result.status !== 0) throw new Error(result.stderr)
  return result.stdout
}

const runs = [9000 / 3, 90000 / 3].map((targets) => {
  const file = join(mkdtempSync(join(tmpdir(), 'bench-mem-')), 'db.sqlite3')
  child(['--populate', String(targets), file])
  const out = child(['--stream', String(targets), file])
  return JSON.parse(out.trim().split('\n').pop()!) as { items: number; rssBeforeMb: number; peakRssMb: number }
})
for (const run of runs) console.log(`${run.items} tagged items: peak RSS while streaming ${run.peakRssMb.toFixed(1)} MB (before ${run.rssBeforeMb.toFixed(1)} MB)`)
const ratio = runs[1]!.peakRssMb / runs[0]!.peakRssMb
console.log(`ratio of peaks (450,000 / 45,000): ${ratio.toFixed(2)} (target: within 1.2)`)
