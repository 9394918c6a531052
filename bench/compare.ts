/**
 * `npm run bench:compare -- --db sqlite|postgres [--targets N] [--tags K] [--repeat R] [--rounds X] [--skip-django] [--schema floor|django]`:
 * runs this project's workloads, the raw-SQL floor and (when /usr/bin/python3 can import django)
 * Django on the same database, one after the other, and prints a table of median ms and query
 * counts with the ratios ours/floor and Django/ours.
 *
 * A shared machine's speed drifts by tens of percent within minutes, so ours and the floor run in
 * X alternating rounds (default 3): each round gives a ratio per workload, and the table shows the
 * median of those ratios beside the median times. Django, slow to run, runs once.
 */
import { spawnSync } from 'node:child_process'
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'

const { values: args } = parseArgs({
  options: {
    db: { type: 'string', default: 'sqlite' },
    targets: { type: 'string', default: '3000' },
    tags: { type: 'string', default: '5' },
    repeat: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    'skip-django': { type: 'boolean', default: false },
    /** This project's tables as the floor's DDL (default) or with Django's default indexes. */
    schema: { type: 'string', default: 'floor' },
    'pg-url': { type: 'string', default: process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
    json: { type: 'boolean', default: false },
  },
})
const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const shared = join(root, '..', 'shared', 'bench')
const common = ['--db', args.db!, '--targets', args.targets!, '--tags', args.tags!, '--repeat', args.repeat!]
const pg = args.db === 'postgres' ? ['--pg-url', args['pg-url']!] : []

type Report = { system: string; results: Record<string, { ms: number; queries: number }> }

function run(label: string, command: string, argv: string[]): Report | undefined {
  process.stderr.write(`running ${label}…\n`)
  const result = spawnSync(command, argv, { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  if (result.status !== 0) {
    process.stderr.write(`${label} failed (exit ${result.status}):\n${result.stderr}\n`)
    return undefined
  }
  const text = result.stdout.slice(result.stdout.indexOf('{'))
  return JSON.parse(text) as Report
}

// Django first: its migrate creates django_content_type (and records it) on a fresh database;
// this project and the floor then reuse or ignore that table.
const hasDjango = spawnSync('/usr/bin/python3', ['-c', 'import django'], { encoding: 'utf8' }).status === 0
const django = hasDjango && args.db !== 'mysql' && !args['skip-django']
  ? run('django', '/usr/bin/python3', [join(shared, 'django_reference', 'run.py'), ...common, ...pg])
  : undefined
const rounds = Math.max(1, Number(args.rounds))
const oursRuns: Report[] = []
const floorRuns: Report[] = []
for (let round = 0; round < rounds; round++) {
  // Alternate who goes first, so neither always runs on the warmer (or cooler) machine.
  const pair = [
    () => run(`contenttypes-ts (round ${round + 1}/${rounds})`, process.execPath, ['--import', 'tsx', join(root, 'bench', 'run.ts'), ...common, ...pg, '--schema', args.schema!]),
    () => run(`raw floor (round ${round + 1}/${rounds})`, process.execPath, [join(shared, 'raw_floor.mjs'), ...common, ...pg]),
  ]
  const [first, second] = round % 2 === 0 ? pair : [pair[1]!, pair[0]!]
  const a = first!()
  const b = second!()
  const [o, f] = round % 2 === 0 ? [a, b] : [b, a]
  if (!o || !f) process.exit(1)
  oursRuns.push(o)
  floorRuns.push(f)
}
if (!hasDjango) process.stderr.write('Django is not importable by /usr/bin/python3 (apt-get install python3-django): its column stays empty.\n')

const middle = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}
/** One report of the median times over the rounds (query counts from the first round). */
function mergeRounds(runs: Report[]): Report {
  const results: Report['results'] = {}
  for (const name of Object.keys(runs[0]!.results)) {
    results[name] = { ms: middle(runs.map((r) => r.results[name]!.ms)), queries: runs[0]!.results[name]!.queries }
  }
  return { system: runs[0]!.system, results }
}
const ours = mergeRounds(oursRuns)
const floor = mergeRounds(floorRuns)
/** Ours/floor of a workload: the median of the per-round ratios (each pair ran minutes apart at most). */
const ratioOf = (name: string) => middle(oursRuns.map((o, i) => o.results[name]!.ms / (floorRuns[i]!.results[name]?.ms ?? NaN)))

const names = Object.keys(ours.results)
const cell = (r: Report | undefined, name: string) => (r?.results[name] ? `${r.results[name]!.ms.toFixed(1)} ms / ${r.results[name]!.queries} q` : '—')
const ratio = (a: number | undefined, b: number | undefined) => (a && b ? (a / b).toFixed(2) : '—')
const rows = names.map((name) => {
  const o = ours.results[name]!.ms
  const f = floor.results[name]?.ms
  const d = django?.results[name]?.ms
  return [name, cell(ours, name), cell(floor, name), cell(django, name), f ? ratioOf(name).toFixed(2) : '—', ratio(d, o)]
})
const ratios = names.map(ratioOf).filter((r) => Number.isFinite(r) && r > 0)
const geomean = Math.exp(ratios.reduce((a, r) => a + Math.log(r), 0) / ratios.length)
const header = ['workload', 'contenttypes-ts', 'raw floor', django?.system ?? 'django', 'ours/floor', 'django/ours']
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`
console.log(`${args.db}, ${args.targets} targets × 3 models, ${args.tags} tags each, median of ${args.repeat}; ours and the floor over ${rounds} alternating rounds (ours/floor: median of the per-round ratios)`)
console.log(line(header))
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`)
for (const row of rows) console.log(line(row))
console.log(`geometric mean ours/floor: ${geomean.toFixed(2)}`)
console.log(args.schema === 'django'
  ? 'Tables: ours with Django\'s default indexes (tag and content_type too), as Django\'s; the floor\'s with the (content_type, object_id) index only.'
  : 'Tables: ours as the floor\'s, with the (content_type, object_id) index only; Django\'s also index tag and content_type, so django/ours of create and cascade_delete compares different tables (--schema django compares like with like).')
console.log('get_for_model_100k: ours takes the cached type synchronously, `peekForModel(m) ?? await getForModel(m)`; get_for_model_100k_awaited awaits getForModel(m) every call.')
if (args.json) console.log(JSON.stringify({ ours: oursRuns, floor: floorRuns, django }, null, 1))
