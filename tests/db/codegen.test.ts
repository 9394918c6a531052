import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { CASCADE, DataError, IntegrityError, Model, connections, defineApp, fields as f } from '../../src/db/index.ts'
import { CharField } from '../../src/db/fields/text-fields.ts'
import { typesAdaptingPlainValues } from '../../src/db/backends/backend.ts'
import { setCodeGeneration } from '../../src/db/codegen.ts'
import { instanceInitializer } from '../../src/db/instance-initializer.ts'
import { rowValues } from '../../src/db/persistence/prepare-for-save.ts'
import { describeEachDialect } from '../support/dialects.ts'

/**
 * Instances are built, written and read by code generated per model (src/db/codegen.ts), or by
 * plain loops where a runtime forbids code from strings. The same scenarios run against both, on
 * models of their own: each model compiles its code on first use, in the mode then in force.
 * Tables are prefixed `cgon_` and `cgoff_`.
 */
let sequence = 0

/** A user's field that prepares values its own way: bulk writes must not pass its values as they are. */
class ShoutingField extends CharField<string> {
  override getDbPrepValue(value: unknown): unknown {
    return typeof value === 'string' ? value.toUpperCase() : super.getDbPrepValue(value)
  }
}

function defineModels(label: string) {
  class Owner extends Model.define(`${label}.Owner`, {
    name: f.char({ maxLength: 20 }),
  }) {}
  class Entry extends Model.define(`${label}.Entry`, {
    title: f.char({ maxLength: 10 }),
    note: f.char({ maxLength: 50, blank: true }),
    rank: f.integer({ default: () => ++sequence }),
    flag: f.boolean({ default: false }),
    data: f.json({ null: true }),
    stamp: f.datetime({ autoNowAdd: true }),
    owner: f.foreignKey(() => Owner, { onDelete: CASCADE, null: true }),
    loud: new ShoutingField({ maxLength: 10, default: 'hey' }),
  }) {}
  return { Owner, Entry, app: defineApp({ label, models: [Owner, Entry] }) }
}

const generated = defineModels('cgon')
const looped = defineModels('cgoff')

for (const [mode, models] of [['generated code', generated], ['plain loops', looped]] as const) {
  const { Owner, Entry, app } = models
  describe(mode, () => {
    if (models === looped) {
      beforeAll(() => setCodeGeneration(false))
      afterAll(() => setCodeGeneration(true))
    }

    test(`the model's initializer and row writer are ${mode}`, () => {
      const isGenerated = models === generated
      expect(instanceInitializer(Entry._meta).name).toBe(isGenerated ? 'initialize' : '')
      expect(rowValues(Entry._meta, Entry._meta.concreteFields).name).toBe(isGenerated ? 'rowValues' : 'loop')
    })

    describe('constructing', () => {
      test('values by name, keys by attname, defaults (callable ones called per instance), pk', () => {
        const a = new Entry({ title: 'a' })
        const b = new Entry({ title: 'b', ownerId: 7, pk: 42 })
        expect(a.title).toBe('a')
        expect(a.note).toBe('')
        expect(a.flag).toBe(false)
        expect(a.data).toBe(null)
        expect(a.ownerId).toBe(null)
        expect(a.id).toBe(null)
        expect(b.rank).toBe(a.rank + 1)
        expect(b.ownerId).toBe(7)
        expect(b.id).toBe(42)
        expect(b._state.adding).toBe(true)
      })

      test('a related object goes through its descriptor: the key is copied and the object cached', () => {
        const owner = new Owner({ name: 'o', pk: 5 })
        const entry = new Entry({ title: 't', owner })
        expect(entry.ownerId).toBe(5)
        expect(entry._state.fieldsCache.owner).toBe(owner)
        // Object and key both given: the object wins, and both names count as known.
        expect(new Entry({ title: 't', owner, ownerId: 9 }).ownerId).toBe(5)
      })

      test('unknown names are refused, undefined values are ignored', () => {
        expect(() => new Entry({ title: 't', colour: 'red' } as any)).toThrow(
          "Entry() got unexpected keyword arguments: 'colour'. Its fields are: id, title, note, rank, flag, data, stamp, owner, loud.")
        expect(new Entry({ title: 't', note: undefined } as any).note).toBe('')
      })
    })

    describeEachDialect(`codegen (${mode})`, [app], () => {
      test('bulkCreate writes every field as save() would, and reads back the same values', async () => {
        const owner = await Owner.objects.create({ name: 'o' })
        const before = new Date(Date.now() - 1000)
        const made = await Entry.objects.bulkCreate([
          new Entry({ title: 'one', owner, data: { k: [1, 'x'] }, flag: true }),
          new Entry({ title: 'two', note: 'n', rank: -3 }),
        ])
        expect(made.every((e) => e.id !== null && !e._state.adding)).toBe(true)
        // autoNowAdd's pre-save hook ran for each row and set the attribute.
        expect(made[0]!.stamp.getTime()).toBeGreaterThanOrEqual(before.getTime())
        const rows = await Entry.objects.orderBy('id')
        expect(rows.map((e) => [e.title, e.note, e.rank, e.flag, e.data, e.ownerId])).toEqual([
          ['one', '', made[0]!.rank, true, { k: [1, 'x'] }, owner.id],
          ['two', 'n', -3, false, null, null],
        ])
        expect(rows[0]!.stamp.getTime()).toBe(made[0]!.stamp.getTime())
        expect(rows[0]!._state.adding).toBe(false)
        expect(rows[0]!._state.db).toBe('default')
      })

      test("a field's own preparation runs for every row (a subclass's override is never skipped)", async () => {
        expect(Entry._meta.getField('title').plainBinding()).toEqual({ type: 'string', maxLength: 10 })
        expect(Entry._meta.getField('loud').plainBinding()).toBe(undefined)
        await Entry.objects.bulkCreate([new Entry({ title: 'a', loud: 'quiet' }), new Entry({ title: 'b' })])
        expect(await Entry.objects.orderBy('id').valuesList('loud', { flat: true })).toEqual(['QUIET', 'HEY'])
      })

      test('every backend binds the strings and integers fields pass as they are unchanged', () => {
        const backend = connections.get()
        const plainTypes = [...Entry._meta.concreteFields, ...Owner._meta.concreteFields]
          .filter((field) => field.plainBinding() !== undefined).map((field) => field.dbType)
        expect(plainTypes).toEqual(expect.arrayContaining(['AutoField', 'CharField', 'IntegerField']))
        const others = ['SlugField', 'TextField', 'PositiveIntegerField', 'BigIntegerField', 'SmallIntegerField', 'EmailField', 'URLField', 'PositiveSmallIntegerField', 'BigAutoField']
        for (const type of [...plainTypes, ...others]) {
          expect(typesAdaptingPlainValues.has(type)).toBe(false)
          expect(backend.adaptValue(type, 'text')).toBe('text')
          expect(backend.adaptValue(type, 42)).toBe(42)
          expect(backend.adaptValue(type, -(2 ** 40))).toBe(-(2 ** 40))
        }
      })

      test('values a column would reject or mangle are refused before anything is written', async () => {
        await expect(Entry.objects.bulkCreate([new Entry({ title: 'ok' }), new Entry({ title: 'much too long' })]))
          .rejects.toThrow(DataError)
        await expect(Entry.objects.bulkCreate([new Entry({ title: 'ok', rank: 2 ** 40 })])).rejects.toThrow(/out of range/)
        await expect(Entry.objects.bulkCreate([new Entry({ title: null as any })])).rejects.toThrow(IntegrityError)
        expect(await Entry.objects.count()).toBe(0)
      })

      test('an unsaved related object is refused; one saved since assignment lends its key', async () => {
        const owner = new Owner({ name: 'later' })
        const entry = new Entry({ title: 't', owner })
        await expect(Entry.objects.bulkCreate([entry])).rejects.toThrow(
          "bulkCreate() prohibited to prevent data loss due to unsaved related object 'owner'.")
        await owner.save()
        await Entry.objects.bulkCreate([entry])
        expect((await Entry.objects.get({ title: 't' })).ownerId).toBe(owner.id)
      })
    })
  })
}
