import { expect, test } from 'vitest'
import { sql } from 'kysely'
import {
  CASCADE, IntegrityError, Manager, Model, ProgrammingError, RelatedManager, atomic, captureQueries, connections, defineApp,
  fields as f, inAtomicBlock, migrate, type Router,
} from '../../src/db/index.ts'
import { describeEachDialect } from '../support/dialects.ts'

// Two databases at once: 'default' is an in-memory SQLite database; 'other' is each dialect in
// turn, on a private database of it (a second, separate in-memory SQLite database for SQLite).
// Tables are prefixed `mdbtests`.

class Person extends Model.define('mdbtests.Person', {
  name: f.char({ maxLength: 50, unique: true }),
  age: f.integer({ null: true }),
}) {
  declare static readonly objects: Manager<Person>
  declare pets: RelatedManager<Pet>
}

class Pet extends Model.define('mdbtests.Pet', {
  name: f.char({ maxLength: 50 }),
  owner: f.foreignKey(() => Person, { onDelete: CASCADE, relatedName: 'pets' }),
}) {}

/** The app a router sends to 'other'. */
class Report extends Model.define('mdbtests_routed.Report', {
  title: f.char({ maxLength: 50 }),
}) {}

const app = defineApp({ label: 'mdbtests', models: [Person, Pet] })
const routedApp = defineApp({ label: 'mdbtests_routed', models: [Report] })

const PERSON = 'mdbtests_person'
const PET = 'mdbtests_pet'
const REPORT = 'mdbtests_routed_report'

/** Sends the routed app to 'other', and keeps each app's tables on its own database. */
const router: Router = {
  dbForRead: (model) => (model._meta.appLabel === 'mdbtests_routed' ? 'other' : undefined),
  dbForWrite: (model) => (model._meta.appLabel === 'mdbtests_routed' ? 'other' : undefined),
  allowMigrate: (db, appLabel) => (appLabel === 'mdbtests_routed' ? db === 'other' : db === 'default'),
}

/** Records what writes ask the routers (it routes nothing itself). */
const asked: string[] = []
const recorder: Router = {
  dbForWrite: (model, hints) => {
    if (model === Pet) asked.push(`${model._meta.label} for ${hints?.instance ? String((hints.instance as Person).name) : '-'}`)
    return undefined
  },
}

/** Row count of a table on one database, straight through Kysely (not the model layer). */
async function rawCount(alias: string, table: string): Promise<number> {
  const result = await sql<{ n: unknown }>`SELECT COUNT(*) AS n FROM ${sql.table(table)}`.execute(connections.get(alias).kysely)
  return Number(result.rows[0]?.n)
}

async function names(alias: string): Promise<string[]> {
  return (await Person.objects.using(alias).valuesList('name', { flat: true })).sort()
}

/** 'default' is SQLite in memory; 'other' is each dialect in turn, on a private database of it. */
const OTHER_IS_THE_DIALECT = { alias: 'other', extraDatabases: { default: 'sqlite::memory:' } }

describeEachDialect('multidb: default sqlite + other', [app, routedApp], (other) => {
  test('the two aliases are two databases', () => {
    expect(connections.aliases()).toEqual(['default', 'other'])
    expect(connections.get('default').vendor).toBe('sqlite')
    expect(connections.get('other')).not.toBe(connections.get('default'))
    if (other.name === 'sqlite') expect(connections.get('other').vendor).toBe('sqlite')
    else expect(connections.get('other').vendor).not.toBe('sqlite')
  })

  test('migrate({ database }) creates the tables there', async () => {
    for (const alias of ['default', 'other']) {
      const tables = await connections.get(alias).tableNames()
      for (const table of [PERSON, PET, REPORT]) expect(tables.has(table)).toBe(true)
    }
    // Nothing left to create on either.
    expect((await migrate({ database: 'other' })).created).toEqual([])
    expect((await migrate()).created).toEqual([])
  })

  test('using(other): create, get, filter, count, and the databases stay separate', async () => {
    const remote = await Person.objects.using('other').create({ name: 'Remote', age: 30 })
    expect(remote._state.db).toBe('other')
    expect(typeof remote.pk).toBe('number')
    const local = await Person.objects.create({ name: 'Local', age: 40 })
    expect(local._state.db).toBe('default')
    await Person.objects.using('default').create({ name: 'Local 2' })

    expect(await names('other')).toEqual(['Remote'])
    expect(await names('default')).toEqual(['Local', 'Local 2'])
    expect(await rawCount('other', PERSON)).toBe(1)
    expect(await rawCount('default', PERSON)).toBe(2)

    const got = await Person.objects.using('other').get({ name: 'Remote' })
    expect(got.pk).toBe(remote.pk)
    expect(got.age).toBe(30)
    expect(got._state.db).toBe('other')
    await expect(Person.objects.get({ name: 'Remote' })).rejects.toBeInstanceOf(Person.DoesNotExist)
    await expect(Person.objects.using('other').get({ name: 'Local' })).rejects.toBeInstanceOf(Person.DoesNotExist)

    const filtered = await Person.objects.using('other').filter({ age__gte: 18 })
    expect(filtered.map((p) => p.name)).toEqual(['Remote'])
    expect(filtered.every((p) => p._state.db === 'other')).toBe(true)
    expect(await Person.objects.filter({ age__gte: 18 }).count()).toBe(1)
    // using() on a chained queryset, and the queries really go to that alias.
    const { queries } = await captureQueries(() => Person.objects.filter({ age__gte: 18 }).using('other').count())
    expect(queries.map((q) => q.alias)).toEqual(['other'])
  })

  test('writes through using(other): update, delete, bulkCreate, getOrCreate', async () => {
    await Person.objects.create({ name: 'Ann', age: 1 })
    await Person.objects.using('other').create({ name: 'Ann', age: 1 })
    expect(await Person.objects.using('other').filter({ name: 'Ann' }).update({ age: 2 })).toBe(1)
    expect((await Person.objects.using('other').get({ name: 'Ann' })).age).toBe(2)
    expect((await Person.objects.get({ name: 'Ann' })).age).toBe(1)

    const bulk = await Person.objects.using('other').bulkCreate([new Person({ name: 'B1' }), new Person({ name: 'B2' })])
    expect(bulk.every((p) => p._state.db === 'other')).toBe(true)
    expect(await names('other')).toEqual(['Ann', 'B1', 'B2'])
    expect(await names('default')).toEqual(['Ann'])

    const [created, wasCreated] = await Person.objects.using('other').getOrCreate({ name: 'Goc' }, { defaults: { age: 5 } })
    expect(wasCreated).toBe(true)
    expect(created._state.db).toBe('other')
    const [again, wasCreated2] = await Person.objects.using('other').getOrCreate({ name: 'Goc' })
    expect(wasCreated2).toBe(false)
    expect(again.pk).toBe(created.pk)
    expect(await Person.objects.filter({ name: 'Goc' }).exists()).toBe(false)

    const [updated, createdU] = await Person.objects.using('other').updateOrCreate({ name: 'Ann' }, { defaults: { age: 9 } })
    expect(createdU).toBe(false)
    expect(updated._state.db).toBe('other')
    expect((await Person.objects.using('other').get({ name: 'Ann' })).age).toBe(9)
    expect((await Person.objects.get({ name: 'Ann' })).age).toBe(1)

    expect(await Person.objects.using('other').filter({ name__startswith: 'B' }).delete()).toEqual([2, { 'mdbtests.Person': 2 }])
    expect(await names('other')).toEqual(['Ann', 'Goc'])
    expect(await names('default')).toEqual(['Ann'])
  })

  test('an instance remembers its database: save() and delete() go back to it', async () => {
    const twin = await Person.objects.create({ name: 'Twin', age: 1 })
    await Person.objects.using('other').create({ name: 'Twin', age: 1 })

    const loaded = await Person.objects.using('other').get({ name: 'Twin' })
    expect(loaded._state.db).toBe('other')
    loaded.age = 50
    await loaded.save()
    expect(loaded._state.db).toBe('other')
    expect((await Person.objects.using('other').get({ name: 'Twin' })).age).toBe(50)
    expect((await Person.objects.get({ name: 'Twin' })).age).toBe(1)
    expect(await rawCount('other', PERSON)).toBe(1)
    expect(await rawCount('default', PERSON)).toBe(1)

    // save({ using }) on a new instance, then a plain save() stays there.
    const fresh = new Person({ name: 'Fresh' })
    await fresh.save({ using: 'other' })
    expect(fresh._state.db).toBe('other')
    fresh.age = 7
    await fresh.save()
    expect((await Person.objects.using('other').get({ name: 'Fresh' })).age).toBe(7)
    expect(await Person.objects.filter({ name: 'Fresh' }).exists()).toBe(false)

    // refreshFromDb reads from the instance's database.
    await Person.objects.using('other').filter({ name: 'Fresh' }).update({ age: 8 })
    await fresh.refreshFromDb()
    expect(fresh.age).toBe(8)

    // Related objects: the accessors and the cascade follow the instance's database.
    const pet = await Pet.objects.using('other').create({ name: 'Rex', owner: loaded })
    expect(pet._state.db).toBe('other')
    const loadedPet = await Pet.objects.using('other').get({ pk: pet.pk })
    expect((await loadedPet.owner).name).toBe('Twin')
    expect((await loadedPet.owner)._state.db).toBe('other')
    expect((await loaded.pets.all()).map((p) => p.name)).toEqual(['Rex'])

    const result = await loaded.delete()
    expect(result).toEqual([2, { 'mdbtests.Person': 1, 'mdbtests.Pet': 1 }])
    expect(await names('other')).toEqual(['Fresh'])
    expect(await Pet.objects.using('other').count()).toBe(0)
    // The row of the same name on default is untouched.
    expect(await names('default')).toEqual(['Twin'])
    expect((await Person.objects.get({ pk: twin.pk })).age).toBe(1)

    await fresh.delete()
    expect(await Person.objects.using('other').count()).toBe(0)
    expect(await Person.objects.count()).toBe(1)
  })

  test("a new instance given a related object from 'other' is saved on 'other'", async () => {
    // Django's forward descriptor: an instance with no database takes its related object's.
    await Person.objects.create({ name: 'Decoy with the same key' })
    const remote = await Person.objects.using('other').create({ name: 'Remote owner' })
    const pet = new Pet({ name: 'Rex', owner: remote })
    expect(pet._state.db).toBe('other')
    await pet.save()
    expect(pet._state.db).toBe('other')
    expect(await Pet.objects.using('other').filter({ owner: remote }).count()).toBe(1)
    expect(await Pet.objects.count()).toBe(0)

    const assigned = new Pet({ name: 'Fido' })
    assigned.owner = remote
    expect(assigned._state.db).toBe('other')
    await assigned.save()
    expect(await Pet.objects.using('other').count()).toBe(2)
    expect(await Pet.objects.count()).toBe(0)
  })

  test('assigning a related object from another database is refused (allowRelation)', async () => {
    const local = await Person.objects.create({ name: 'Local owner' })
    const remote = await Person.objects.using('other').create({ name: 'Remote owner' })
    const pet = await Pet.objects.create({ name: 'Rex', owner: local })
    expect(() => { pet.owner = remote }).toThrow(/the current database router prevents this relation/)
    expect(pet.ownerId).toBe(local.pk)
    await pet.save()
    expect((await Pet.objects.get({ pk: pet.pk })).ownerId).toBe(local.pk)
  })

  test('Manager.dbManager(other) reads and writes the other database', async () => {
    const manager = Person.objects.dbManager('other')
    expect(manager.db).toBe('other')
    expect(Person.objects.db).toBe(undefined)
    const created = await manager.create({ name: 'Managed', age: 3 })
    expect(created._state.db).toBe('other')
    expect(await manager.count()).toBe(1)
    expect(await Person.objects.count()).toBe(0)
    expect((await manager.get({ name: 'Managed' })).pk).toBe(created.pk)
    expect((await manager.filter({ age: 3 })).map((p) => p._state.db)).toEqual(['other'])
    expect((await manager.all()).map((p) => p.name)).toEqual(['Managed'])
    const [, wasCreated] = await manager.getOrCreate({ name: 'Managed' })
    expect(wasCreated).toBe(false)
    const { queries } = await captureQueries(() => manager.exists())
    expect(queries.map((q) => q.alias)).toEqual(['other'])
    // The original manager is unchanged.
    await Person.objects.create({ name: 'Default' })
    expect(await manager.count()).toBe(1)
    expect(await Person.objects.count()).toBe(1)
  })

  test('atomic({ using: other }) rolls back only that database', async () => {
    const error = await atomic(async () => {
      expect(inAtomicBlock('other')).toBe(true)
      expect(inAtomicBlock()).toBe(false)
      await Person.objects.using('other').create({ name: 'Rolled back' })
      await Person.objects.create({ name: 'Autocommitted' })
      expect(await Person.objects.using('other').count()).toBe(1)
      throw new Error('abort other')
    }, { using: 'other' }).catch((e: unknown) => e)
    expect((error as Error).message).toBe('abort other')
    expect(await Person.objects.using('other').count()).toBe(0)
    expect(await names('default')).toEqual(['Autocommitted'])

    // The other way round: a failed transaction on default leaves 'other' committed.
    await expect(atomic(async () => {
      await Person.objects.create({ name: 'Gone' })
      await Person.objects.using('other').create({ name: 'Kept' })
      throw new Error('abort default')
    })).rejects.toThrow('abort default')
    expect(await names('default')).toEqual(['Autocommitted'])
    expect(await names('other')).toEqual(['Kept'])
  })

  test('an IntegrityError inside atomic on other rolls that block back; default commits around it', async () => {
    await Person.objects.using('other').create({ name: 'Taken' })
    await atomic(async () => {
      await Person.objects.create({ name: 'Outer default' })
      await expect(atomic(async () => {
        await Person.objects.using('other').create({ name: 'Before the failure' })
        await Person.objects.using('other').create({ name: 'Taken' })
      }, { using: 'other' })).rejects.toBeInstanceOf(IntegrityError)
    })
    expect(await names('default')).toEqual(['Outer default'])
    expect(await names('other')).toEqual(['Taken'])
    // Both databases are still usable.
    await atomic(async () => { await Person.objects.using('other').create({ name: 'After' }) }, { using: 'other' })
    expect(await names('other')).toEqual(['After', 'Taken'])
  })

  test('nested atomic blocks on two databases commit and roll back independently', async () => {
    await atomic(async () => {
      await Person.objects.create({ name: 'D1' })
      await atomic(async () => {
        await Person.objects.using('other').create({ name: 'O1' })
        expect(inAtomicBlock()).toBe(true)
        expect(inAtomicBlock('other')).toBe(true)
      }, { using: 'other' })
      // Committed on 'other' already, while 'default' is still open.
      expect(await rawCount('other', PERSON)).toBe(1)
    })
    expect(await names('default')).toEqual(['D1'])
    expect(await names('other')).toEqual(['O1'])
  })
}, OTHER_IS_THE_DIALECT)

describeEachDialect('multidb with a router: default sqlite + other', [app, routedApp], () => {
  test("allowMigrate keeps each app's tables on its own database", async () => {
    const onDefault = await connections.get('default').tableNames()
    const onOther = await connections.get('other').tableNames()
    expect(onDefault.has(PERSON)).toBe(true)
    expect(onDefault.has(PET)).toBe(true)
    expect(onDefault.has(REPORT)).toBe(false)
    expect(onOther.has(REPORT)).toBe(true)
    expect(onOther.has(PERSON)).toBe(false)
    expect(onOther.has(PET)).toBe(false)
    expect((await migrate()).created).toEqual([])
    expect((await migrate({ database: 'other' })).created).toEqual([])
  })

  test("the routed app's queries go to other, the rest to default", async () => {
    const { result: report, queries } = await captureQueries(() => Report.objects.create({ title: 'Q1' }))
    expect(queries.length).toBeGreaterThan(0)
    expect(queries.every((q) => q.alias === 'other')).toBe(true)
    expect(report._state.db).toBe('other')
    expect(await rawCount('other', REPORT)).toBe(1)

    const person = await Person.objects.create({ name: 'Local' })
    expect(person._state.db).toBe('default')
    expect(await rawCount('default', PERSON)).toBe(1)

    // Reads are routed too.
    const read = await captureQueries(async () => [await Report.objects.count(), await Report.objects.get({ title: 'Q1' })] as const)
    expect(read.queries.map((q) => q.alias)).toEqual(['other', 'other'])
    expect(read.result[0]).toBe(1)
    expect(read.result[1]._state.db).toBe('other')
    expect(Report.objects.all().db).toBe('other')
    expect(Person.objects.all().db).toBe('default')

    // The table is not on default at all.
    await expect(Report.objects.using('default').count()).rejects.toBeInstanceOf(ProgrammingError)
  })

  test('routed writes: save(), update(), bulkCreate(), getOrCreate() and delete()', async () => {
    const report = new Report({ title: 'Draft' })
    await report.save()
    expect(report._state.db).toBe('other')
    report.title = 'Final'
    await report.save()
    expect((await Report.objects.get({ pk: report.pk })).title).toBe('Final')

    expect(await Report.objects.filter({ title: 'Final' }).update({ title: 'Published' })).toBe(1)
    await Report.objects.bulkCreate([new Report({ title: 'B1' }), new Report({ title: 'B2' })])
    const [created, wasCreated] = await Report.objects.getOrCreate({ title: 'G' })
    expect(wasCreated).toBe(true)
    expect(created._state.db).toBe('other')
    expect(await rawCount('other', REPORT)).toBe(4)

    expect(await Report.objects.filter({ title__startswith: 'B' }).delete()).toEqual([2, { 'mdbtests_routed.Report': 2 }])
    const loaded = await Report.objects.get({ title: 'Published' })
    expect(await loaded.delete()).toEqual([1, { 'mdbtests_routed.Report': 1 }])
    expect(await rawCount('other', REPORT)).toBe(1)
    expect(await rawCount('default', PERSON)).toBe(0)
  })

  test("a reverse manager's writes go where the router sends the related model, hinted with the owner (Django's db_for_write)", async () => {
    const ann = await Person.objects.create({ name: 'Ann' })
    const rex = await Pet.objects.create({ name: 'Rex', owner: ann })
    const bob = await Person.objects.create({ name: 'Bob' })
    asked.length = 0
    await bob.pets.add(rex)
    await bob.pets.add(rex, { bulk: false })
    await bob.pets.create({ name: 'Fido' })
    await bob.pets.set([rex])
    expect(asked.filter((a) => a === 'mdbtests.Pet for Bob').length).toBeGreaterThanOrEqual(4)
    expect((await bob.pets.all()).map((p) => p.name).sort()).toEqual(['Fido', 'Rex'])
    expect(rex._state.db).toBe('default')
  })

  test('explicit using() wins over the router', async () => {
    await Person.objects.create({ name: 'Routed by default' })
    const { queries } = await captureQueries(() => Person.objects.using('default').count())
    expect(queries.map((q) => q.alias)).toEqual(['default'])
    // Person has no table on 'other': using('other') really goes there.
    await expect(Person.objects.using('other').count()).rejects.toBeInstanceOf(ProgrammingError)
  })

  test("atomic({ using: 'other' }) rolls back the routed writes only", async () => {
    await expect(atomic(async () => {
      await Report.objects.create({ title: 'inside' })
      await Person.objects.create({ name: 'outside' })
      throw new Error('abort')
    }, { using: 'other' })).rejects.toThrow('abort')
    expect(await Report.objects.count()).toBe(0)
    expect(await Person.objects.count()).toBe(1)
  })
}, { ...OTHER_IS_THE_DIALECT, settings: { routers: [router, recorder] } })
