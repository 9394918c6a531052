import { describe, expect, test } from 'vitest'
import {
  CASCADE, DO_NOTHING, F, IntegrityError, Model, PROTECT, ProtectedError, QuerySet, RESTRICT, RestrictedError,
  SET, SET_DEFAULT, SET_NULL, atomic, captureQueries, connections, defineApp, fields as f,
  postDelete, postSave, preDelete, preSave,
} from '../../src/db/index.ts'
import { describeEachDialect } from '../support/dialects.ts'

// ---------------------------------------------------------------------------------------------
// Models. Every table of this file is prefixed `wrtests_` (PostgreSQL and MySQL are shared).
// ---------------------------------------------------------------------------------------------

/** Bulk writes: one column of each common type. */
class Item extends Model.define('wrtests.Item', {
  name: f.char({ maxLength: 50 }),
  qty: f.integer({ null: true }),
  price: f.decimal({ maxDigits: 8, decimalPlaces: 2, null: true }),
  day: f.date({ null: true }),
  code: f.char({ maxLength: 20, unique: true, null: true }),
}) {}

/** A unique name: ignoreConflicts and the getOrCreate race. */
class Tag extends Model.define('wrtests.Tag', {
  name: f.char({ maxLength: 50, unique: true }),
  color: f.char({ maxLength: 20, default: '' }),
}) {}

class Author extends Model.define('wrtests.Author', {
  name: f.char({ maxLength: 100, unique: true }),
  age: f.integer({ null: true }),
}) {}

class Book extends Model.define('wrtests.Book', {
  title: f.char({ maxLength: 200 }),
  pages: f.integer({ default: 0 }),
  author: f.foreignKey(() => Author, { onDelete: CASCADE, relatedName: 'books' }),
}) {}

class Chapter extends Model.define('wrtests.Chapter', {
  title: f.char({ maxLength: 200 }),
  book: f.foreignKey(() => Book, { onDelete: CASCADE, relatedName: 'chapters' }),
}) {}

class Contract extends Model.define('wrtests.Contract', {
  terms: f.char({ maxLength: 100 }),
  author: f.foreignKey(() => Author, { onDelete: PROTECT, relatedName: 'contracts' }),
}) {}

// Django's documented RESTRICT example.
class Artist extends Model.define('wrtests.Artist', {
  name: f.char({ maxLength: 50 }),
}) {}

class Album extends Model.define('wrtests.Album', {
  title: f.char({ maxLength: 50 }),
  artist: f.foreignKey(() => Artist, { onDelete: CASCADE, relatedName: 'albums' }),
}) {}

class Song extends Model.define('wrtests.Song', {
  title: f.char({ maxLength: 50 }),
  album: f.foreignKey(() => Album, { onDelete: RESTRICT, relatedName: 'songs' }),
  artist: f.foreignKey(() => Artist, { onDelete: CASCADE, relatedName: 'artistSongs' }),
}) {}

/** The editor every SET / SET_DEFAULT key falls back to: created with this explicit key. */
const SENTINEL_ID = 999
/** What SET(() => …) returns; assigned by the test so the callable is seen to be called. */
let setFnTarget: number | null = null
let setFnCalls = 0

class Editor extends Model.define('wrtests.Editor', {
  name: f.char({ maxLength: 50 }),
}) {}

class Article extends Model.define('wrtests.Article', {
  title: f.char({ maxLength: 50 }),
  editorNull: f.foreignKey(() => Editor, { onDelete: SET_NULL, null: true, relatedName: 'nullArticles' }),
  editorDefault: f.foreignKey(() => Editor, { onDelete: SET_DEFAULT, default: () => SENTINEL_ID, relatedName: 'defaultArticles' }),
  editorSet: f.foreignKey(() => Editor, { onDelete: SET(SENTINEL_ID), null: true, relatedName: 'setArticles' }),
  editorSetFn: f.foreignKey(() => Editor, {
    onDelete: SET(() => { setFnCalls += 1; return setFnTarget }), null: true, relatedName: 'setFnArticles',
  }),
}) {}

/** A parent whose only child is a plain CASCADE: the fast-delete path. */
class Publisher extends Model.define('wrtests.Publisher', {
  name: f.char({ maxLength: 50 }),
}) {}

class Magazine extends Model.define('wrtests.Magazine', {
  title: f.char({ maxLength: 50 }),
  publisher: f.foreignKey(() => Publisher, { onDelete: CASCADE, relatedName: 'magazines' }),
}) {}

/** DO_NOTHING beside a CASCADE: the database constraint refuses, everything rolls back. */
class Topic extends Model.define('wrtests.Topic', {
  name: f.char({ maxLength: 50 }),
}) {}

class Post extends Model.define('wrtests.Post', {
  body: f.char({ maxLength: 50 }),
  topic: f.foreignKey(() => Topic, { onDelete: DO_NOTHING, relatedName: 'posts' }),
}) {}

class Comment extends Model.define('wrtests.Comment', {
  body: f.char({ maxLength: 50 }),
  topic: f.foreignKey(() => Topic, { onDelete: CASCADE, relatedName: 'comments' }),
}) {}

const app = defineApp({
  label: 'wrtests',
  models: [Item, Tag, Author, Book, Chapter, Contract, Artist, Album, Song, Editor, Article, Publisher, Magazine, Topic, Post, Comment],
})

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

function statements(queries: ReadonlyArray<{ sql: string }>, verb: string): string[] {
  return queries.map((q) => q.sql.trim()).filter((s) => s.toUpperCase().startsWith(verb))
}

/** Every row of the Author → Book → Chapter / Contract tables, in key order. */
async function snapshot(): Promise<Record<string, unknown[]>> {
  return {
    authors: await Author.objects.orderBy('pk').values(),
    books: await Book.objects.orderBy('pk').values(),
    chapters: await Chapter.objects.orderBy('pk').values(),
    contracts: await Contract.objects.orderBy('pk').values(),
  }
}

interface Library {
  herbert: Author
  leguin: Author
  dune: Book
  messiah: Book
  earthsea: Book
}

/** Two authors; Herbert has two books (3 + 2 chapters), Le Guin one book (1 chapter). */
async function seedLibrary(): Promise<Library> {
  const herbert = await Author.objects.create({ name: 'Frank Herbert', age: 65 })
  const leguin = await Author.objects.create({ name: 'Ursula Le Guin', age: 88 })
  const dune = await Book.objects.create({ title: 'Dune', pages: 412, author: herbert })
  const messiah = await Book.objects.create({ title: 'Dune Messiah', pages: 256, author: herbert })
  const earthsea = await Book.objects.create({ title: 'A Wizard of Earthsea', pages: 183, author: leguin })
  for (const [book, n] of [[dune, 3], [messiah, 2], [earthsea, 1]] as const) {
    for (let i = 1; i <= n; i++) await Chapter.objects.create({ title: `${book.title} ${i}`, book })
  }
  return { herbert, leguin, dune, messiah, earthsea }
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('Expected the promise to reject, but it resolved.')
}

describeEachDialect('writes', [app], (dialect) => {
  // -------------------------------------------------------------------------------------------
  describe('bulkCreate()', () => {
    test('1000 rows go in a handful of INSERTs, with their keys set where the database returns them', async () => {
      const objects = Array.from({ length: 1000 }, (_, i) => new Item({ name: `item ${i}`, qty: i }))
      const { result, queries } = await captureQueries(() => Item.objects.bulkCreate(objects), { using: 'default' })
      expect(result).toBe(objects)
      const inserts = statements(queries, 'INSERT')
      expect(inserts.length).toBeGreaterThanOrEqual(1)
      expect(inserts.length).toBeLessThanOrEqual(5)
      expect(queries).toHaveLength(inserts.length)
      expect(await Item.objects.count()).toBe(1000)

      for (const object of objects) {
        expect(object._state.adding).toBe(false)
        expect(object._state.db).toBe('default')
      }
      if (connections.get().features.canReturnRowsFromBulkInsert) {
        const pks = objects.map((o) => o.pk)
        expect(pks.every((pk) => typeof pk === 'number')).toBe(true)
        expect(new Set(pks).size).toBe(1000)
        // Each object got the key of its own row.
        const byPk = await Item.objects.inBulk(pks)
        for (const object of objects) expect(byPk.get(object.pk)?.name).toBe(object.name)
        const sample = objects[737]!
        expect((await Item.objects.get({ pk: sample.pk })).qty).toBe(737)
      } else {
        for (const object of objects) expect(object.pk ?? null).toBe(null)
      }
    })

    test('the keys are set on SQLite, PostgreSQL and MariaDB', async () => {
      const features = connections.get().features
      const vendor = connections.get().vendor
      if (dialect.name !== 'mysql') expect(features.canReturnRowsFromBulkInsert).toBe(true)
      const [a, b] = await Item.objects.bulkCreate([new Item({ name: 'a' }), new Item({ name: 'b' })])
      if (features.canReturnRowsFromBulkInsert) {
        expect(typeof a!.pk).toBe('number')
        expect(typeof b!.pk).toBe('number')
        expect((await Item.objects.get({ pk: a!.pk })).name).toBe('a')
        expect((await Item.objects.get({ pk: b!.pk })).name).toBe('b')
      } else {
        expect(vendor).toBe('mysql')
        expect(a!.pk ?? null).toBe(null)
      }
    })

    test('batchSize splits the rows into that many INSERTs', async () => {
      const objects = Array.from({ length: 10 }, (_, i) => new Item({ name: `b${i}` }))
      const { queries } = await captureQueries(() => Item.objects.bulkCreate(objects, { batchSize: 3 }), { using: 'default' })
      expect(statements(queries, 'INSERT')).toHaveLength(4)
      expect(await Item.objects.count()).toBe(10)
      expect((await Item.objects.orderBy('pk').valuesList('name', { flat: true })).sort()).toEqual(objects.map((o) => o.name).sort())
      if (connections.get().features.canReturnRowsFromBulkInsert) {
        expect(new Set(objects.map((o) => o.pk)).size).toBe(10)
      }
    })

    test('objects with explicit keys keep them', async () => {
      await Item.objects.bulkCreate([new Item({ id: 501, name: 'x' }), new Item({ id: 502, name: 'y' })])
      expect((await Item.objects.get({ pk: 501 })).name).toBe('x')
      expect((await Item.objects.get({ pk: 502 })).name).toBe('y')
    })

    test('values of every type round trip', async () => {
      await Item.objects.bulkCreate([
        new Item({ name: 'full', qty: -7, price: '12.50', day: '2024-02-29', code: 'F1' }),
        new Item({ name: 'empty', qty: null, price: null, day: null, code: null }),
      ])
      const full = await Item.objects.get({ name: 'full' })
      expect([full.qty, full.price, full.day, full.code]).toEqual([-7, '12.50', '2024-02-29', 'F1'])
      const empty = await Item.objects.get({ name: 'empty' })
      expect([empty.qty, empty.price, empty.day, empty.code]).toEqual([null, null, null, null])
    })

    test('an unsaved related object is refused before anything is written', async () => {
      const unsaved = new Author({ name: 'Nobody' })
      const saved = await Author.objects.create({ name: 'Somebody' })
      const books = [new Book({ title: 'ok', author: saved }), new Book({ title: 'lost', author: unsaved })]
      const { result: error, queries } = await captureQueries(() => rejection(Book.objects.bulkCreate(books)))
      expect(error).toBeInstanceOf(Error)
      expect((error as Error).message).toBe("bulkCreate() prohibited to prevent data loss due to unsaved related object 'author'.")
      expect(statements(queries, 'INSERT')).toEqual([])
      expect(await Book.objects.count()).toBe(0)
    })

    test('a related object saved after assignment gives its key', async () => {
      const author = new Author({ name: 'Late' })
      const book = new Book({ title: 'Assigned early', author })
      await author.save()
      await Book.objects.bulkCreate([book])
      expect(book.authorId).toBe(author.id)
      expect((await Book.objects.get({ title: 'Assigned early' })).authorId).toBe(author.id)
    })

    test('ignoreConflicts skips rows that duplicate a unique field', async () => {
      await Tag.objects.create({ name: 'django', color: 'green' })
      const objects = [new Tag({ name: 'django', color: 'red' }), new Tag({ name: 'kysely', color: 'blue' }), new Tag({ name: 'node' })]
      await Tag.objects.bulkCreate(objects, { ignoreConflicts: true })
      expect(await Tag.objects.count()).toBe(3)
      expect((await Tag.objects.get({ name: 'django' })).color).toBe('green')
      expect((await Tag.objects.get({ name: 'kysely' })).color).toBe('blue')
      // Django: ignore_conflicts disables setting the primary key on each instance.
      for (const object of objects) expect(object.pk ?? null).toBe(null)
      // Without it, the duplicate is an IntegrityError.
      await expect(Tag.objects.bulkCreate([new Tag({ name: 'node' })])).rejects.toBeInstanceOf(IntegrityError)
    })

    test('a failing row rolls the whole bulkCreate back, across batches', async () => {
      await Item.objects.create({ name: 'existing', code: 'DUP' })
      const objects = Array.from({ length: 10 }, (_, i) => new Item({ name: `r${i}`, code: i === 8 ? 'DUP' : `C${i}` }))
      const error = await rejection(Item.objects.bulkCreate(objects, { batchSize: 3 }))
      expect(error).toBeInstanceOf(IntegrityError)
      expect(await Item.objects.count()).toBe(1)
      // Duplicates within the objects themselves too.
      const twins = [new Item({ name: 't1', code: 'TWIN' }), new Item({ name: 't2', code: 'TWIN' })]
      await expect(Item.objects.bulkCreate(twins)).rejects.toBeInstanceOf(IntegrityError)
      expect(await Item.objects.count()).toBe(1)
    })

    test('sends no save signals', async () => {
      const heard: string[] = []
      const onPre = () => { heard.push('pre') }
      const onPost = () => { heard.push('post') }
      preSave.connect(onPre)
      postSave.connect(onPost)
      try {
        await Item.objects.bulkCreate([new Item({ name: 'quiet 1' }), new Item({ name: 'quiet 2' })])
        expect(heard).toEqual([])
        await Item.objects.create({ name: 'loud' })
        expect(heard).toEqual(['pre', 'post'])
      } finally {
        preSave.disconnect(onPre)
        postSave.disconnect(onPost)
      }
      expect(await Item.objects.count()).toBe(3)
    })

    test('an empty list does nothing', async () => {
      const { result, queries } = await captureQueries(() => Item.objects.bulkCreate([]))
      expect(result).toEqual([])
      expect(queries).toEqual([])
    })
  })

  // -------------------------------------------------------------------------------------------
  describe('bulkUpdate()', () => {
    async function items(n: number): Promise<Item[]> {
      const created: Item[] = []
      for (let i = 0; i < n; i++) created.push(await Item.objects.create({ name: `u${i}`, qty: i, price: '1.00', day: '2020-01-01' }))
      return created
    }

    test('updates many rows in one statement and returns the rows matched', async () => {
      const objects = await items(50)
      for (const object of objects) {
        object.qty = object.qty! * 10
        object.name = `${object.name}!`
      }
      const { result, queries } = await captureQueries(() => Item.objects.bulkUpdate(objects, ['qty', 'name']), { using: 'default' })
      expect(result).toBe(50)
      expect(statements(queries, 'UPDATE')).toHaveLength(1)
      expect(queries).toHaveLength(1)
      const rows = await Item.objects.orderBy('pk').valuesList('name', 'qty')
      expect(rows).toEqual(objects.map((o) => [o.name, o.qty]))
    })

    test('values of every type round trip, nulls included', async () => {
      const [a, b, c] = await items(3)
      a!.qty = null; a!.price = '123456.78'; a!.day = '1999-12-31'; a!.name = "O'Brien"
      b!.qty = 2147483647; b!.price = null; b!.day = null; b!.name = 'ünïcødé'
      c!.qty = -1; c!.price = '0.05'; c!.day = '2024-02-29'; c!.name = ''
      expect(await Item.objects.bulkUpdate([a!, b!, c!], ['qty', 'price', 'day', 'name'])).toBe(3)
      const fresh = await Item.objects.inBulk([a!.pk, b!.pk, c!.pk])
      for (const object of [a!, b!, c!]) {
        const row = fresh.get(object.pk)!
        expect([row.name, row.qty, row.price, row.day]).toEqual([object.name, object.qty, object.price, object.day])
      }
      // Setting back from NULL works too.
      a!.qty = 5; a!.price = '1.10'
      b!.price = '2.20'; b!.day = '2001-01-01'
      expect(await Item.objects.bulkUpdate([a!, b!], ['qty', 'price', 'day'])).toBe(2)
      const again = await Item.objects.inBulk([a!.pk, b!.pk])
      expect([again.get(a!.pk)!.qty, again.get(a!.pk)!.price, again.get(a!.pk)!.day]).toEqual([5, '1.10', '1999-12-31'])
      expect([again.get(b!.pk)!.price, again.get(b!.pk)!.day]).toEqual(['2.20', '2001-01-01'])
    })

    test('only the named fields are written', async () => {
      const [a] = await items(1)
      a!.qty = 77
      a!.name = 'not saved'
      await Item.objects.bulkUpdate([a!], ['qty'])
      const row = await Item.objects.get({ pk: a!.pk })
      expect(row.qty).toBe(77)
      expect(row.name).toBe('u0')
    })

    test('batchSize gives one UPDATE per batch', async () => {
      const objects = await items(10)
      for (const object of objects) object.qty = 1000 + object.qty!
      const { result, queries } = await captureQueries(() => Item.objects.bulkUpdate(objects, ['qty'], { batchSize: 4 }), { using: 'default' })
      expect(result).toBe(10)
      expect(statements(queries, 'UPDATE')).toHaveLength(3)
      expect((await Item.objects.orderBy('pk').valuesList('qty', { flat: true }))).toEqual(objects.map((o) => o.qty))
    })

    test('rows whose values do not change still count as matched', async () => {
      const objects = await items(4)
      expect(await Item.objects.bulkUpdate(objects, ['qty', 'name'])).toBe(4)
    })

    test('refuses primary key fields, an empty field list and unsaved objects', async () => {
      const objects = await items(2)
      await expect(Item.objects.bulkUpdate(objects, ['id'])).rejects.toThrow('bulkUpdate() cannot be used with primary key fields.')
      await expect(Item.objects.bulkUpdate(objects, ['pk'])).rejects.toThrow('bulkUpdate() cannot be used with primary key fields.')
      await expect(Item.objects.bulkUpdate(objects, [])).rejects.toThrow('Field names must be given to bulkUpdate().')
      await expect(Item.objects.bulkUpdate([new Item({ name: 'new' })], ['name'])).rejects.toThrow('All bulkUpdate() objects must have a primary key set.')
      expect(await Item.objects.bulkUpdate([], ['name'])).toBe(0)
    })

    test('F() expressions are evaluated per row, as Django\'s bulk_update accepts expressions', async () => {
      const a = await Item.objects.create({ name: 'a', qty: 1 })
      const b = await Item.objects.create({ name: 'b', qty: 10 })
      ;(a as { qty: unknown }).qty = new F('qty').add(1)
      ;(b as { qty: unknown }).qty = new F('qty').mul(2)
      expect(await Item.objects.bulkUpdate([a, b], ['qty'])).toBe(2)
      expect((await Item.objects.get({ pk: a.pk })).qty).toBe(2)
      expect((await Item.objects.get({ pk: b.pk })).qty).toBe(20)
    })

    test('a foreign key can be bulk updated', async () => {
      const a = await Author.objects.create({ name: 'A' })
      const b = await Author.objects.create({ name: 'B' })
      const books = [await Book.objects.create({ title: 'one', author: a }), await Book.objects.create({ title: 'two', author: a })]
      for (const book of books) book.author = b
      expect(await Book.objects.bulkUpdate(books, ['author'])).toBe(2)
      expect(await Book.objects.filter({ author: b }).count()).toBe(2)
    })
  })

  // -------------------------------------------------------------------------------------------
  describe('update()', () => {
    test('F() increments in the database and update() returns the rows matched', async () => {
      const a = await Item.objects.create({ name: 'a', qty: 5 })
      const b = await Item.objects.create({ name: 'b', qty: 10 })
      await Item.objects.create({ name: 'c', qty: null })
      expect(await Item.objects.filter({ name__in: ['a', 'b'] }).update({ qty: new F('qty').add(1) })).toBe(2)
      expect((await Item.objects.get({ pk: a.pk })).qty).toBe(6)
      expect((await Item.objects.get({ pk: b.pk })).qty).toBe(11)
      expect(await Item.objects.filter({ name: 'a' }).update({ qty: new F('qty').mul(2).sub(2) })).toBe(1)
      expect((await Item.objects.get({ pk: a.pk })).qty).toBe(10)
      // NULL stays NULL.
      expect(await Item.objects.filter({ name: 'c' }).update({ qty: new F('qty').add(1) })).toBe(1)
      expect((await Item.objects.get({ name: 'c' })).qty).toBe(null)
      expect(await Item.objects.filter({ name: 'nothing' }).update({ qty: 1 })).toBe(0)
    })

    test('concurrent F() increments are not lost', async () => {
      const item = await Item.objects.create({ name: 'counter', qty: 0 })
      await Promise.all(Array.from({ length: 10 }, () => Item.objects.filter({ pk: item.pk }).update({ qty: new F('qty').add(1) })))
      expect((await Item.objects.get({ pk: item.pk })).qty).toBe(10)
    })

    test('rows whose value does not change still count as matched', async () => {
      for (const name of ['x', 'y', 'z']) await Item.objects.create({ name, qty: 3 })
      expect(await Item.objects.filter({ qty: 3 }).update({ qty: 3 })).toBe(3)
      expect(await Item.objects.all().update({ name: 'same' })).toBe(3)
      expect(await Item.objects.all().update({ name: 'same' })).toBe(3)
    })
  })

  // -------------------------------------------------------------------------------------------
  describe('getOrCreate() and updateOrCreate()', () => {
    test('creates, then gets; defaults are used only to create', async () => {
      const [created, wasCreated] = await Author.objects.getOrCreate({ name: 'Iain Banks' }, { defaults: { age: 59 } })
      expect(wasCreated).toBe(true)
      expect(created).toBeInstanceOf(Author)
      expect(typeof created.pk).toBe('number')
      expect(created.age).toBe(59)
      expect(created._state.adding).toBe(false)

      const [got, wasCreated2] = await Author.objects.getOrCreate({ name: 'Iain Banks' }, { defaults: { age: 1 } })
      expect(wasCreated2).toBe(false)
      expect(got.pk).toBe(created.pk)
      expect(got.age).toBe(59)
      expect((await Author.objects.get({ name: 'Iain Banks' })).age).toBe(59)
      expect(await Author.objects.count()).toBe(1)
    })

    test('callable defaults are called on create', async () => {
      const [author] = await Author.objects.getOrCreate({ name: 'Callable' }, { defaults: { age: () => 42 } })
      expect(author.age).toBe(42)
      expect((await Author.objects.get({ name: 'Callable' })).age).toBe(42)
    })

    test('lookups with __ are not used to create; exact ones are', async () => {
      const [a, created] = await Author.objects.getOrCreate({ name: 'Plain', age__gt: 50 })
      expect(created).toBe(true)
      expect(a.age).toBe(null)
      expect((await Author.objects.get({ name: 'Plain' })).age).toBe(null)

      const [b, createdB] = await Author.objects.getOrCreate({ name__iexact: 'ursula' }, { defaults: { name: 'Ursula', age: 88 } })
      expect(createdB).toBe(true)
      expect(b.name).toBe('Ursula')
      const [c, createdC] = await Author.objects.getOrCreate({ name__iexact: 'URSULA' }, { defaults: { name: 'ignored' } })
      expect(createdC).toBe(false)
      expect(c.pk).toBe(b.pk)

      const [d, createdD] = await Author.objects.getOrCreate({ name__exact: 'Exact', age: 3 })
      expect(createdD).toBe(true)
      expect([d.name, d.age]).toEqual(['Exact', 3])
    })

    test('concurrent calls on a unique field end with one row, and every caller gets it', async () => {
      const results = await Promise.all(Array.from({ length: 8 }, () => Tag.objects.getOrCreate({ name: 'race' }, { defaults: { color: 'red' } })))
      expect(await Tag.objects.count()).toBe(1)
      const row = await Tag.objects.get({ name: 'race' })
      expect(row.color).toBe('red')
      expect(results.filter(([, created]) => created)).toHaveLength(1)
      for (const [tag] of results) {
        expect(tag).toBeInstanceOf(Tag)
        expect(tag.pk).toBe(row.pk)
        expect(tag.name).toBe('race')
      }
    })

    test('concurrent getOrCreate calls, each in a transaction of its own, end with one row that every caller gets', async () => {
      const results = await Promise.all(Array.from({ length: 6 }, () => atomic(() => Tag.objects.getOrCreate({ name: 'race in atomic' }))))
      expect(await Tag.objects.filter({ name: 'race in atomic' }).count()).toBe(1)
      expect(results.filter(([, created]) => created)).toHaveLength(1)
      expect(new Set(results.map(([tag]) => tag.pk)).size).toBe(1)
    })

    test('getOrCreate inside atomic() that loses a race keeps the outer transaction usable', async () => {
      await Tag.objects.create({ name: 'present' })
      await atomic(async () => {
        const [tag, created] = await Tag.objects.getOrCreate({ name: 'present' })
        expect(created).toBe(false)
        await Tag.objects.create({ name: `after ${tag.pk}` })
      })
      expect(await Tag.objects.count()).toBe(2)
    })

    test('updateOrCreate: defaults update, createDefaults only create; returns [obj, created]', async () => {
      const [a, createdA] = await Author.objects.updateOrCreate({ name: 'Le Guin' }, { defaults: { age: 30 } })
      expect(createdA).toBe(true)
      expect(a.age).toBe(30)
      expect((await Author.objects.get({ name: 'Le Guin' })).age).toBe(30)

      const [b, createdB] = await Author.objects.updateOrCreate({ name: 'Le Guin' }, { defaults: { age: 31 }, createDefaults: { age: 99 } })
      expect(createdB).toBe(false)
      expect(b.pk).toBe(a.pk)
      expect(b.age).toBe(31)
      expect((await Author.objects.get({ name: 'Le Guin' })).age).toBe(31)

      const [c, createdC] = await Author.objects.updateOrCreate({ name: 'Butler' }, { defaults: { age: 1 }, createDefaults: { age: 2 } })
      expect(createdC).toBe(true)
      expect(c.age).toBe(2)
      expect((await Author.objects.get({ name: 'Butler' })).age).toBe(2)

      const [d, createdD] = await Author.objects.updateOrCreate({ name: 'Butler' }, { defaults: { age: () => 58 } })
      expect(createdD).toBe(false)
      expect(d.age).toBe(58)
      expect((await Author.objects.get({ name: 'Butler' })).age).toBe(58)
      expect(await Author.objects.count()).toBe(2)
    })

    test('updateOrCreate updates only the default fields of the row', async () => {
      const author = await Author.objects.create({ name: 'Partial', age: 10 })
      // Another writer changes the name meanwhile; the update must not write it back.
      await Author.objects.filter({ pk: author.pk }).update({ age: 11 })
      const [updated, created] = await Author.objects.updateOrCreate({ pk: author.pk }, { defaults: { name: 'Renamed' } })
      expect(created).toBe(false)
      expect(updated.name).toBe('Renamed')
      const row = await Author.objects.get({ pk: author.pk })
      expect([row.name, row.age]).toEqual(['Renamed', 11])
    })
  })

  // -------------------------------------------------------------------------------------------
  describe('deletion', () => {
    test('CASCADE across two levels returns the total and the count per model', async () => {
      const { herbert, leguin, earthsea } = await seedLibrary()
      const result = await herbert.delete()
      expect(result).toEqual([8, { 'wrtests.Author': 1, 'wrtests.Book': 2, 'wrtests.Chapter': 5 }])
      expect(herbert.pk).toBe(null)
      expect(await Author.objects.valuesList('name', { flat: true })).toEqual(['Ursula Le Guin'])
      expect(await Book.objects.valuesList('title', { flat: true })).toEqual(['A Wizard of Earthsea'])
      expect(await Chapter.objects.filter({ book: earthsea }).count()).toBe(1)
      expect(await Chapter.objects.count()).toBe(1)
      expect(leguin.pk).not.toBe(null)
    })

    test('queryset.delete() over several rows cascades from each', async () => {
      await seedLibrary()
      await Author.objects.create({ name: 'Bookless' })
      const result = await Author.objects.filter({ name__in: ['Frank Herbert', 'Ursula Le Guin'] }).delete()
      expect(result).toEqual([11, { 'wrtests.Author': 2, 'wrtests.Book': 3, 'wrtests.Chapter': 6 }])
      expect(await Author.objects.valuesList('name', { flat: true })).toEqual(['Bookless'])
      expect(await Book.objects.count()).toBe(0)
      expect(await Chapter.objects.count()).toBe(0)
      expect(await Author.objects.filter({ name: 'Nobody' }).delete()).toEqual([0, {}])
      expect(await Author.objects.all().delete()).toEqual([1, { 'wrtests.Author': 1 }])
    })

    test('PROTECT throws ProtectedError with the referring rows, and nothing is deleted', async () => {
      const { herbert } = await seedLibrary()
      const c1 = await Contract.objects.create({ terms: 'first', author: herbert })
      const c2 = await Contract.objects.create({ terms: 'second', author: herbert })
      const before = await snapshot()
      const error = await rejection(herbert.delete())
      expect(error).toBeInstanceOf(ProtectedError)
      expect(error).toBeInstanceOf(IntegrityError)
      expect((error as Error).message).toBe(
        "Cannot delete some instances of model 'Author' because they are referenced through protected foreign keys: 'Contract.author'.")
      const protectedObjects = (error as ProtectedError).protectedObjects
      expect(protectedObjects.every((o) => o instanceof Contract)).toBe(true)
      expect(protectedObjects.map((o) => o.pk).sort()).toEqual([c1.pk, c2.pk].sort())
      expect(await snapshot()).toEqual(before)
      expect(herbert.pk).not.toBe(null)

      // Through a queryset of several authors, one of them protected: nothing goes either.
      await expect(Author.objects.all().delete()).rejects.toBeInstanceOf(ProtectedError)
      expect(await snapshot()).toEqual(before)

      // Caught inside a transaction, the refusal leaves it usable (collecting runs before the deletion's block).
      await atomic(async () => {
        await Author.objects.create({ name: 'Added in the block' })
        await expect(Author.objects.filter({ name: 'Frank Herbert' }).delete()).rejects.toBeInstanceOf(ProtectedError)
        expect(await Author.objects.filter({ name: 'Added in the block' }).count()).toBe(1)
      })
      expect(await Author.objects.filter({ name: 'Added in the block' }).count()).toBe(1)
      await Author.objects.filter({ name: 'Added in the block' }).delete()

      // Once the contracts are gone, the author can go.
      await Contract.objects.all().delete()
      expect((await herbert.delete())[0]).toBe(8)
    })

    describe('RESTRICT (Django\'s Artist / Album / Song example)', () => {
      async function seedMusic() {
        const artistOne = await Artist.objects.create({ name: 'artist one' })
        const artistTwo = await Artist.objects.create({ name: 'artist two' })
        const albumOne = await Album.objects.create({ title: 'album one', artist: artistOne })
        const albumTwo = await Album.objects.create({ title: 'album two', artist: artistTwo })
        const songOne = await Song.objects.create({ title: 'song one', artist: artistOne, album: albumOne })
        const songTwo = await Song.objects.create({ title: 'song two', artist: artistOne, album: albumTwo })
        return { artistOne, artistTwo, albumOne, albumTwo, songOne, songTwo }
      }

      async function counts(): Promise<number[]> {
        return [await Artist.objects.count(), await Album.objects.count(), await Song.objects.count()]
      }

      test('deleting the album directly is refused', async () => {
        const { albumOne, songOne } = await seedMusic()
        const error = await rejection(albumOne.delete())
        expect(error).toBeInstanceOf(RestrictedError)
        expect(error).toBeInstanceOf(IntegrityError)
        expect((error as Error).message).toBe(
          "Cannot delete some instances of model 'Album' because they are referenced through restricted foreign keys: 'Song.album'.")
        expect((error as RestrictedError).restrictedObjects.map((o) => o.pk)).toEqual([songOne.pk])
        expect(await counts()).toEqual([2, 2, 2])
      })

      test('deleting artist two is refused: song two (of artist one) restricts album two', async () => {
        const { artistTwo, songTwo } = await seedMusic()
        const error = await rejection(artistTwo.delete())
        expect(error).toBeInstanceOf(RestrictedError)
        expect((error as Error).message).toBe(
          "Cannot delete some instances of model 'Artist' because they are referenced through restricted foreign keys: 'Song.album'.")
        expect((error as RestrictedError).restrictedObjects.map((o) => o.pk)).toEqual([songTwo.pk])
        expect(await counts()).toEqual([2, 2, 2])
      })

      test('deleting artist one is allowed: the restricting song is deleted by the same cascade', async () => {
        const { artistOne, albumTwo } = await seedMusic()
        expect(await artistOne.delete()).toEqual([4, { 'wrtests.Artist': 1, 'wrtests.Album': 1, 'wrtests.Song': 2 }])
        expect(await counts()).toEqual([1, 1, 0])
        expect((await Album.objects.get()).pk).toBe(albumTwo.pk)
      })

      test('the same holds when the songs are loaded (a delete receiver on Song)', async () => {
        const { artistOne, artistTwo } = await seedMusic()
        const deleted: unknown[] = []
        const receiver = ({ instance }: { instance: unknown }) => { deleted.push((instance as Song).title) }
        postDelete.connect(receiver, { sender: Song })
        try {
          await expect(artistTwo.delete()).rejects.toBeInstanceOf(RestrictedError)
          expect(deleted).toEqual([])
          expect(await artistOne.delete()).toEqual([4, { 'wrtests.Artist': 1, 'wrtests.Album': 1, 'wrtests.Song': 2 }])
          expect(deleted.sort()).toEqual(['song one', 'song two'])
        } finally {
          postDelete.disconnect(receiver, { sender: Song })
        }
      })
    })

    test('SET_NULL, SET_DEFAULT, SET(value) and SET(() => value) update the referring rows', async () => {
      const sentinel = await Editor.objects.create({ id: SENTINEL_ID, name: 'sentinel' })
      const other = await Editor.objects.create({ name: 'other' })
      const doomed = await Editor.objects.create({ name: 'doomed' })
      setFnTarget = other.id
      setFnCalls = 0
      const articles = []
      for (const title of ['one', 'two']) {
        articles.push(await Article.objects.create({ title, editorNull: doomed, editorDefault: doomed, editorSet: doomed, editorSetFn: doomed }))
      }
      const untouched = await Article.objects.create({ title: 'untouched', editorNull: other, editorDefault: other, editorSet: other, editorSetFn: other })
      expect(await doomed.delete()).toEqual([1, { 'wrtests.Editor': 1 }])
      expect(setFnCalls).toBeGreaterThanOrEqual(1)
      for (const article of articles) {
        const row = await Article.objects.get({ pk: article.pk })
        expect(row.editorNullId).toBe(null)
        expect(row.editorDefaultId).toBe(sentinel.id)
        expect(row.editorSetId).toBe(SENTINEL_ID)
        expect(row.editorSetFnId).toBe(other.id)
      }
      const row = await Article.objects.get({ pk: untouched.pk })
      expect([row.editorNullId, row.editorDefaultId, row.editorSetId, row.editorSetFnId]).toEqual([other.id, other.id, other.id, other.id])
      expect(await Article.objects.count()).toBe(3)
      expect(await Editor.objects.count()).toBe(2)
    })

    test('SET(() => null) on a nullable key sets it to NULL', async () => {
      const keep = await Editor.objects.create({ id: SENTINEL_ID, name: 'sentinel' })
      const doomed = await Editor.objects.create({ name: 'doomed' })
      setFnTarget = null
      const article = await Article.objects.create({ title: 't', editorDefault: keep, editorSetFn: doomed })
      await doomed.delete()
      expect((await Article.objects.get({ pk: article.pk })).editorSetFnId).toBe(null)
    })

    test('preDelete / postDelete fire for every cascaded row, with the origin', async () => {
      const { herbert, dune, messiah } = await seedLibrary()
      const herbertId = herbert.id
      const events: Array<[string, string, unknown]> = []
      const chapters = (await Chapter.objects.filter({ book__author: herbert }).orderBy('pk')).map((c) => c.pk)
      const origins = new Set<unknown>()
      const pre = ({ sender, instance, origin, using }: { sender: unknown; instance: unknown; origin: unknown; using: string }) => {
        expect(using).toBe('default')
        origins.add(origin)
        events.push(['pre', (sender as typeof Model)._meta.objectName, (instance as Model).pk])
      }
      const post = ({ sender, instance }: { sender: unknown; instance: unknown }) => {
        events.push(['post', (sender as typeof Model)._meta.objectName, (instance as Model).pk])
      }
      for (const model of [Author, Book, Chapter]) {
        preDelete.connect(pre, { sender: model })
        postDelete.connect(post, { sender: model })
      }
      try {
        expect(await herbert.delete()).toEqual([8, { 'wrtests.Author': 1, 'wrtests.Book': 2, 'wrtests.Chapter': 5 }])
      } finally {
        for (const model of [Author, Book, Chapter]) {
          preDelete.disconnect(pre, { sender: model })
          postDelete.disconnect(post, { sender: model })
        }
      }
      const of = (kind: string, name: string) => events.filter(([k, n]) => k === kind && n === name).map(([, , pk]) => pk).sort()
      expect(of('pre', 'Author')).toEqual([herbertId])
      expect(of('post', 'Author')).toEqual([herbertId])
      expect(of('pre', 'Book')).toEqual([dune.id, messiah.id].sort())
      expect(of('post', 'Book')).toEqual([dune.id, messiah.id].sort())
      expect(of('pre', 'Chapter')).toEqual([...chapters].sort())
      expect(of('post', 'Chapter')).toEqual([...chapters].sort())
      expect(events).toHaveLength(16)
      // Every pre_delete comes before every post_delete.
      expect(events.findIndex(([k]) => k === 'post')).toBe(8)
      expect([...origins]).toEqual([herbert])
      expect(await Chapter.objects.count()).toBe(1)
    })

    test('queryset.delete() sends the queryset as the origin (Django 4.1+)', async () => {
      const { herbert } = await seedLibrary()
      const origins: unknown[] = []
      const receiver = ({ origin }: { origin: unknown }) => { origins.push(origin) }
      preDelete.connect(receiver, { sender: Book })
      try {
        const qs = Book.objects.filter({ author: herbert })
        await qs.delete()
        expect(origins).toHaveLength(2)
        for (const origin of origins) expect(origin).toBeInstanceOf(QuerySet)
      } finally {
        preDelete.disconnect(receiver, { sender: Book })
      }
    })

    test('fast delete: no signals and a plain CASCADE child make exactly 2 DELETE queries', async () => {
      const publisher = await Publisher.objects.create({ name: 'Condé Nast' })
      const spared = await Publisher.objects.create({ name: 'Other' })
      for (const title of ['Vogue', 'Wired', 'GQ']) await Magazine.objects.create({ title, publisher })
      await Magazine.objects.create({ title: 'Spared', publisher: spared })
      const { result, queries } = await captureQueries(() => publisher.delete())
      expect(result).toEqual([4, { 'wrtests.Publisher': 1, 'wrtests.Magazine': 3 }])
      expect(queries).toHaveLength(2)
      expect(statements(queries, 'DELETE')).toHaveLength(2)
      expect(await Magazine.objects.valuesList('title', { flat: true })).toEqual(['Spared'])
    })

    test('with a postDelete receiver on the child, its rows are loaded and the signals fire', async () => {
      const publisher = await Publisher.objects.create({ name: 'Hearst' })
      const magazines = []
      for (const title of ['Esquire', 'Elle']) magazines.push(await Magazine.objects.create({ title, publisher }))
      const heard: unknown[] = []
      const receiver = ({ instance }: { instance: unknown }) => { heard.push((instance as Magazine).title) }
      postDelete.connect(receiver, { sender: Magazine })
      try {
        const { result, queries } = await captureQueries(() => publisher.delete())
        expect(result).toEqual([3, { 'wrtests.Publisher': 1, 'wrtests.Magazine': 2 }])
        expect(statements(queries, 'SELECT').length).toBeGreaterThanOrEqual(1)
        expect(statements(queries, 'DELETE')).toHaveLength(2)
      } finally {
        postDelete.disconnect(receiver, { sender: Magazine })
      }
      expect(heard.sort()).toEqual(['Elle', 'Esquire'])
      expect(await Magazine.objects.count()).toBe(0)
    })

    test('a preDelete receiver that throws on the 2nd row leaves the database as it was', async () => {
      const { herbert } = await seedLibrary()
      const before = await snapshot()
      let calls = 0
      const failing = () => {
        calls += 1
        if (calls === 2) throw new Error('receiver failed')
      }
      preDelete.connect(failing, { sender: Chapter })
      try {
        await expect(herbert.delete()).rejects.toThrow('receiver failed')
      } finally {
        preDelete.disconnect(failing, { sender: Chapter })
      }
      expect(calls).toBe(2)
      expect(await snapshot()).toEqual(before)
      expect(herbert.pk).not.toBe(null)
    })

    test('a postDelete receiver that throws after the DELETEs ran rolls them all back', async () => {
      const { herbert } = await seedLibrary()
      const before = await snapshot()
      let calls = 0
      const failing = () => {
        calls += 1
        if (calls === 2) throw new Error('late failure')
      }
      postDelete.connect(failing, { sender: Chapter })
      try {
        await expect(herbert.delete()).rejects.toThrow('late failure')
        expect(calls).toBe(2)
        calls = 0
        await expect(Author.objects.all().delete()).rejects.toThrow('late failure')
        expect(calls).toBe(2)
      } finally {
        postDelete.disconnect(failing, { sender: Chapter })
      }
      expect(await snapshot()).toEqual(before)
      expect(herbert.pk).not.toBe(null)
      // And then it works.
      expect((await herbert.delete())[0]).toBe(8)
    })

    test('deleting an unsaved instance is refused', async () => {
      await expect(new Author({ name: 'x' }).delete()).rejects.toThrow(TypeError)
    })
  })

  // -------------------------------------------------------------------------------------------
  describe('transactions', () => {
    test('a failed multi-step write inside atomic() leaves the database as it was', async () => {
      const { herbert } = await seedLibrary()
      const before = await snapshot()
      const error = await rejection(atomic(async () => {
        const author = await Author.objects.create({ name: 'Temporary' })
        await Book.objects.create({ title: 'Temporary book', author })
        await Book.objects.filter({ author: herbert }).update({ pages: new F('pages').add(100) })
        await Author.objects.filter({ pk: herbert.pk }).update({ age: 1 })
        await Book.objects.bulkCreate([new Book({ title: 'bulk', author: herbert })])
        await (await Book.objects.get({ title: 'Dune Messiah' })).delete()
        // A unique violation fails the block.
        await Author.objects.create({ name: 'Frank Herbert' })
      }))
      expect(error).toBeInstanceOf(IntegrityError)
      expect(await snapshot()).toEqual(before)
    })

    test('an exception thrown by the block rolls back too, and nested blocks roll back alone', async () => {
      await expect(atomic(async () => {
        await Item.objects.create({ name: 'gone' })
        throw new Error('boom')
      })).rejects.toThrow('boom')
      expect(await Item.objects.count()).toBe(0)

      await atomic(async () => {
        await Item.objects.create({ name: 'kept' })
        await expect(atomic(async () => {
          await Item.objects.create({ name: 'inner' })
          await Item.objects.filter({ name: 'kept' }).update({ qty: 5 })
          throw new Error('inner')
        })).rejects.toThrow('inner')
      })
      expect(await Item.objects.valuesList('name', 'qty')).toEqual([['kept', null]])
    })
  })
})

// -------------------------------------------------------------------------------------------
// DO_NOTHING: the database's own constraint refuses (at commit where it is deferred). A commit
// that fails may leave a connection unusable when that bug is present, so this runs apart, with
// its own databases (describeEachDialect closes them without waiting for ever).
// -------------------------------------------------------------------------------------------

describeEachDialect('writes: DO_NOTHING', [app], () => {
  test('DO_NOTHING leaves the rows; the foreign key refuses and everything rolls back', async () => {
    const topic = await Topic.objects.create({ name: 'doomed' })
    await Post.objects.create({ body: 'still pointing', topic })
    await Comment.objects.create({ body: 'cascaded', topic })
    const error = await rejection(topic.delete())
    expect(error).toBeInstanceOf(IntegrityError)
    expect(await Topic.objects.count()).toBe(1)
    expect(await Post.objects.count()).toBe(1)
    // The CASCADE half of the deletion was rolled back with it.
    expect(await Comment.objects.count()).toBe(1)
    expect(topic.pk).not.toBe(null)
  })

  test('the connection is usable after the refused commit', async () => {
    const topic = await Topic.objects.create({ name: 'after' })
    await expect(atomic(async () => {
      await Comment.objects.create({ body: 'rolled back', topic })
      throw new Error('rollback')
    })).rejects.toThrow('rollback')
    expect(await Comment.objects.count()).toBe(0)
    await atomic(async () => { await Comment.objects.create({ body: 'committed', topic }) })
    expect(await Comment.objects.count()).toBe(1)
  })

  test('once the referring rows are gone, the delete goes through', async () => {
    const topic = await Topic.objects.create({ name: 'clean' })
    await Post.objects.create({ body: 'p', topic })
    await Comment.objects.create({ body: 'c', topic })
    await Post.objects.filter({ topic }).delete()
    expect(await topic.delete()).toEqual([2, { 'wrtests.Topic': 1, 'wrtests.Comment': 1 }])
    expect(await Topic.objects.count()).toBe(0)
  })
})
