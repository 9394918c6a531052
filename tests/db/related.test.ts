import { afterEach, describe, expect, test } from 'vitest'
import {
  CASCADE, FieldError, Manager, Model, Prefetch, RelatedManager, RelatedObjectNotLoaded, SET_NULL, TransactionManagementError,
  atomic, captureQueries, defineApp, fields as f, migrate, prefetchRelatedObjects, setStrictRelations, setup,
  type CapturedQuery,
} from '../../src/db/index.ts'
import { describeEachDialect } from '../support/dialects.ts'
import { counted, errorOf } from '../support/assertions.ts'

class Author extends Model.define('reltests.Author', {
  name: f.char({ maxLength: 100 }),
}, { ordering: ['name'] }) {
  declare static readonly objects: Manager<Author>
  declare books: RelatedManager<Book>
  declare edited: RelatedManager<Book>
  /** Filled by Prefetch(..., { toAttr: 'longBooks' }). */
  declare longBooks?: Book[]
}

class Book extends Model.define('reltests.Book', {
  title: f.char({ maxLength: 200 }),
  pages: f.integer({ default: 100 }),
  isbn: f.char({ maxLength: 13, unique: true, null: true }),
  author: f.foreignKey(() => Author, { onDelete: CASCADE, relatedName: 'books' }),
  editor: f.foreignKey(() => Author, { onDelete: SET_NULL, null: true, relatedName: 'edited' }),
}) {
  declare static readonly objects: Manager<Book>
  declare chapters: RelatedManager<Chapter>
}

class Chapter extends Model.define('reltests.Chapter', {
  book: f.foreignKey(() => Book, { onDelete: CASCADE, relatedName: 'chapters' }),
  title: f.char({ maxLength: 100 }),
}) {
  declare static readonly objects: Manager<Chapter>
}

/** Names long enough that `path__column` would pass PostgreSQL's 63-byte limit on aliases. */
class LongNamedParent extends Model.define('reltests.LongNamedParent', {
  aRatherLongColumnNameThatKeepsGoingForTheAliasTest: f.char({ maxLength: 10 }),
}) {}

class LongNamedChild extends Model.define('reltests.LongNamedChild', {
  theParentThroughAnEquallyLongRelationName: f.foreignKey(() => LongNamedParent, { onDelete: CASCADE }),
}) {}

const app = defineApp({ label: 'reltests', models: [Author, Book, Chapter, LongNamedParent, LongNamedChild] })

interface Seeded {
  herbert: Author
  leguin: Author
  banks: Author
  dune: Book
  messiah: Book
  earthsea: Book
  leftHand: Book
}

/**
 * Three authors (Iain Banks has no book), four books (Dune edited by Le Guin, Earthsea edited by
 * Herbert, the others unedited) and three chapters (two in Dune, one in Earthsea).
 */
async function seed(): Promise<Seeded> {
  const herbert = await Author.objects.create({ name: 'Frank Herbert' })
  const leguin = await Author.objects.create({ name: 'Ursula Le Guin' })
  const banks = await Author.objects.create({ name: 'Iain Banks' })
  const dune = await Book.objects.create({ title: 'Dune', pages: 412, isbn: '9780441013593', author: herbert, editor: leguin })
  const messiah = await Book.objects.create({ title: 'Dune Messiah', pages: 256, isbn: '9780593098233', author: herbert })
  const earthsea = await Book.objects.create({ title: 'A Wizard of Earthsea', pages: 183, author: leguin, editor: herbert })
  const leftHand = await Book.objects.create({ title: 'The Left Hand of Darkness', pages: 304, author: leguin })
  await Chapter.objects.create({ book: dune, title: 'Arrakis' })
  await Chapter.objects.create({ book: dune, title: 'Muad\'Dib' })
  await Chapter.objects.create({ book: earthsea, title: 'Warriors in the Mist' })
  return { herbert, leguin, banks, dune, messiah, earthsea, leftHand }
}



function sortedTitles(books: readonly Book[]): string[] {
  return books.map((b) => b.title).sort()
}

describeEachDialect('related objects', [app], (dialect) => {
  test('selectRelated over long names reads the same values inside and outside a transaction', async () => {
    const parent = await LongNamedParent.objects.create({ aRatherLongColumnNameThatKeepsGoingForTheAliasTest: 'v' })
    await LongNamedChild.objects.create({ theParentThroughAnEquallyLongRelationName: parent })
    const read = async () => {
      const [child] = await LongNamedChild.objects.selectRelated('theParentThroughAnEquallyLongRelationName')
      const loaded = child!._state.fieldsCache.theParentThroughAnEquallyLongRelationName as LongNamedParent
      return [loaded.pk, loaded.aRatherLongColumnNameThatKeepsGoingForTheAliasTest]
    }
    expect(await read()).toEqual([parent.pk, 'v'])
    expect(await atomic(read)).toEqual([parent.pk, 'v'])
  })

  describe('forward foreign key accessor', () => {
    test('await book.author costs one query, then comes from the cache', async () => {
      const { herbert, dune } = await seed()
      const book = await Book.objects.get({ pk: dune.pk })
      const first = await counted(async () => await book.author)
      expect(first.count).toBe(1)
      expect(first.result).toBeInstanceOf(Author)
      expect(first.result.pk).toBe(herbert.pk)
      expect(first.result.name).toBe('Frank Herbert')
      const second = await counted(async () => await book.author)
      expect(second.count).toBe(0)
      expect(second.result).toBe(first.result)
    })

    test('changing the <fk>Id attribute makes the next access refetch', async () => {
      const { leguin, dune } = await seed()
      const book = await Book.objects.get({ pk: dune.pk })
      expect((await book.author).name).toBe('Frank Herbert')
      book.authorId = leguin.pk
      const refetched = await counted(async () => await book.author)
      expect(refetched.count).toBe(1)
      expect(refetched.result.pk).toBe(leguin.pk)
      expect(refetched.result.name).toBe('Ursula Le Guin')
      expect((await counted(async () => await book.author)).count).toBe(0)
    })

    test('assigning an instance sets the key and caches the object (no query)', async () => {
      const { leguin, dune } = await seed()
      const book = await Book.objects.get({ pk: dune.pk })
      const { count } = await counted(async () => {
        book.author = leguin
        expect(book.authorId).toBe(leguin.pk)
        expect(await book.author).toBe(leguin)
      })
      expect(count).toBe(0)
      await book.save()
      expect((await Book.objects.get({ pk: dune.pk })).authorId).toBe(leguin.pk)
    })

    test('assigning an instance of the wrong model is a TypeError with Django\'s message', async () => {
      const { dune } = await seed()
      const chapter = await Chapter.objects.get({ title: 'Arrakis' })
      const book = await Book.objects.get({ pk: dune.pk })
      const error = await errorOf(() => { (book as any).author = chapter })
      expect(error).toBeInstanceOf(TypeError)
      expect(error.message).toMatch(/^Cannot assign ".+": "Book\.author" must be a "Author" instance\.$/)
      expect(error.message).toContain(`Chapter object (${chapter.pk})`)
      expect(() => { (book as any).author = 'Frank Herbert' }).toThrow(
        'Cannot assign "\'Frank Herbert\'": "Book.author" must be a "Author" instance.')
      // The failed assignments changed nothing.
      expect(book.authorId).toBe(dune.authorId)
    })

    test('assigning a bare number shows it as Python\'s %r would (no quotes)', async () => {
      const { dune } = await seed()
      const book = await Book.objects.get({ pk: dune.pk })
      expect(() => { (book as any).author = 5 }).toThrow('Cannot assign "5": "Book.author" must be a "Author" instance.')
    })

    test('a NULL foreign key gives null without a query; assigning null clears it', async () => {
      const { herbert, messiah, dune } = await seed()
      const book = await Book.objects.get({ pk: messiah.pk })
      expect(book.editorId).toBeNull()
      const { result, count } = await counted(async () => await book.editor)
      expect(result).toBeNull()
      expect(count).toBe(0)
      const edited = await Book.objects.get({ pk: dune.pk })
      edited.editor = null
      expect(edited.editorId).toBeNull()
      expect(await edited.editor).toBeNull()
      edited.editor = herbert
      expect(edited.editorId).toBe(herbert.pk)
    })

    test('an unsaved related object blocks save() until it is saved', async () => {
      const { dune } = await seed()
      const book = await Book.objects.get({ pk: dune.pk })
      const newcomer = new Author({ name: 'Newcomer' })
      book.author = newcomer
      const error = await errorOf(() => book.save())
      expect(error.message).toMatch(/save\(\) prohibited to prevent data loss due to unsaved related object 'author'/)
      await newcomer.save()
      await book.save()
      expect(book.authorId).toBe(newcomer.pk)
      expect((await Book.objects.get({ pk: dune.pk })).authorId).toBe(newcomer.pk)
    })
  })

  describe('reverse foreign key manager', () => {
    test('all(), filter(), count() and get() are restricted to the instance', async () => {
      const { herbert, leguin, banks, earthsea } = await seed()
      const all = await counted(async () => await herbert.books.all())
      expect(all.count).toBe(1)
      expect(sortedTitles(all.result)).toEqual(['Dune', 'Dune Messiah'])
      expect(all.result.every((b) => b instanceof Book)).toBe(true)
      expect(sortedTitles(await herbert.books.filter({ pages__gt: 300 }))).toEqual(['Dune'])
      expect(sortedTitles(await leguin.books.filter({ pages__gt: 300 }))).toEqual(['The Left Hand of Darkness'])
      const count = await counted(() => herbert.books.count())
      expect(count.result).toBe(2)
      expect(count.count).toBe(1)
      expect(await banks.books.count()).toBe(0)
      expect(await banks.books.all()).toEqual([])
      expect((await herbert.books.get({ title: 'Dune Messiah' })).pages).toBe(256)
      // A book of another author is not found through this manager.
      await expect(herbert.books.get({ pk: earthsea.pk })).rejects.toThrow(Book.DoesNotExist)
      // The reverse relation of the nullable key.
      expect(sortedTitles(await leguin.edited.all())).toEqual(['Dune'])
      expect(sortedTitles(await banks.edited.all())).toEqual([])
    })

    test('rows read through author.books know their author (no query to go back)', async () => {
      const { herbert } = await seed()
      const books = await herbert.books.all()
      const { result, count } = await counted(async () => Promise.all(books.map(async (b) => await b.author)))
      expect(count).toBe(0)
      expect(result.every((a) => a.pk === herbert.pk)).toBe(true)
    })

    test('create() points the new row at the instance', async () => {
      const { banks } = await seed()
      const { result: book, count } = await counted(() => banks.books.create({ title: 'Excession', pages: 451 }))
      expect(count).toBe(1)
      expect(book).toBeInstanceOf(Book)
      expect(book.authorId).toBe(banks.pk)
      expect(book._state.adding).toBe(false)
      expect((await counted(async () => await book.author)).count).toBe(0)
      expect((await Book.objects.get({ pk: book.pk })).authorId).toBe(banks.pk)
      expect(sortedTitles(await banks.books.all())).toEqual(['Excession'])
    })

    test('add(b1, b2) moves saved rows with one UPDATE', async () => {
      const { herbert, banks, dune, messiah } = await seed()
      const { count, queries } = await counted(() => banks.books.add(dune, messiah))
      expect(count).toBe(1)
      expect(queries[0]!.sql).toMatch(/^\s*UPDATE/i)
      expect(dune.authorId).toBe(banks.pk)
      expect(messiah.authorId).toBe(banks.pk)
      expect(await counted(async () => await dune.author)).toMatchObject({ count: 0, result: banks })
      expect(sortedTitles(await banks.books.all())).toEqual(['Dune', 'Dune Messiah'])
      expect(await herbert.books.count()).toBe(0)
      // Adding nothing is fine.
      await banks.books.add()
    })

    test('add() refuses unsaved objects (bulk) and objects of another model', async () => {
      const { banks, dune } = await seed()
      const unsaved = new Book({ title: 'Unsaved', pages: 1 })
      const error = await errorOf(() => banks.books.add(unsaved))
      expect(error.message).toMatch(/instance isn't saved\. Use bulk: false or save the object first\./)
      expect(await Book.objects.filter({ title: 'Unsaved' }).count()).toBe(0)
      const chapter = await Chapter.objects.get({ title: 'Arrakis' })
      const wrong = await errorOf(() => banks.books.add(chapter as unknown as Book))
      expect(wrong).toBeInstanceOf(TypeError)
      expect(wrong.message).toMatch(/'Book' instance expected/)
      expect(await banks.books.count()).toBe(0)
      expect((await Book.objects.get({ pk: dune.pk })).authorId).not.toBe(banks.pk)
    })

    test('add(..., { bulk: false }) saves each object, inserting the unsaved ones', async () => {
      const { banks, dune } = await seed()
      const fresh = new Book({ title: 'Consider Phlebas', pages: 471 })
      const { count } = await counted(() => banks.books.add(fresh, dune, { bulk: false }))
      expect(count).toBe(2)
      expect(fresh.pk).not.toBeNull()
      expect(fresh._state.adding).toBe(false)
      expect(fresh.authorId).toBe(banks.pk)
      expect(dune.authorId).toBe(banks.pk)
      expect(sortedTitles(await banks.books.all())).toEqual(['Consider Phlebas', 'Dune'])
    })

    test('remove() and clear() on a nullable key set it to NULL', async () => {
      const { herbert, leguin, dune, earthsea } = await seed()
      const removed = await counted(() => leguin.edited.remove(dune))
      expect(removed.count).toBe(1)
      expect(dune.editorId).toBeNull()
      expect((await Book.objects.get({ pk: dune.pk })).editorId).toBeNull()
      expect(await leguin.edited.count()).toBe(0)
      // A book that isn't related is refused.
      const notRelated = await errorOf(() => herbert.edited.remove(dune))
      expect(notRelated.message).toMatch(/is not related to/)
      // clear() detaches every row, in one statement.
      await herbert.edited.add(dune)
      expect(await herbert.edited.count()).toBe(2)
      const cleared = await counted(() => herbert.edited.clear())
      expect(cleared.count).toBe(1)
      expect(await herbert.edited.count()).toBe(0)
      expect((await Book.objects.get({ pk: earthsea.pk })).editorId).toBeNull()
      // The books themselves are still there.
      expect(await Book.objects.count()).toBe(4)
    })

    test('remove(..., { bulk: false }) saves each object', async () => {
      const { herbert, earthsea } = await seed()
      await herbert.edited.remove(earthsea, { bulk: false })
      expect(earthsea.editorId).toBeNull()
      expect((await Book.objects.get({ pk: earthsea.pk })).editorId).toBeNull()
    })

    test('remove() and clear() are refused on a non-nullable key', async () => {
      const { herbert, dune } = await seed()
      await expect(herbert.books.remove(dune)).rejects.toThrow(TypeError)
      await expect(herbert.books.clear()).rejects.toThrow(TypeError)
      expect((await Book.objects.get({ pk: dune.pk })).authorId).toBe(herbert.pk)
      expect(await herbert.books.count()).toBe(2)
    })

    test('set() on a nullable key adds the missing rows and removes the others', async () => {
      const { herbert, dune, messiah, earthsea } = await seed()
      // herbert edits Earthsea; make it Dune and Dune Messiah.
      const { count } = await counted(() => herbert.edited.set([dune, messiah]))
      expect(count).toBe(3) // read the current rows, one UPDATE to remove, one to add
      expect(sortedTitles(await herbert.edited.all())).toEqual(['Dune', 'Dune Messiah'])
      expect((await Book.objects.get({ pk: earthsea.pk })).editorId).toBeNull()
      // Already exactly that set: only the read.
      expect((await counted(() => herbert.edited.set([messiah, dune]))).count).toBe(1)
      await herbert.edited.set([])
      expect(await herbert.edited.count()).toBe(0)
    })

    test('set() re-reads the current rows: a prefetched list gone stale does not hide a row to remove', async () => {
      const { herbert, dune, earthsea } = await seed()
      const [loaded] = await Author.objects.filter({ pk: herbert.pk }).prefetchRelated('edited')
      // Dune gets herbert as editor after the prefetch.
      await Book.objects.filter({ pk: dune.pk }).update({ editor: herbert })
      await loaded!.edited.set([earthsea])
      expect((await Book.objects.get({ pk: dune.pk })).editorId).toBeNull()
      expect(sortedTitles(await Book.objects.filter({ editor: herbert }))).toEqual(['A Wizard of Earthsea'])
    })

    test('set(..., { clear: true }) clears, then adds', async () => {
      const { herbert, dune, earthsea } = await seed()
      const { count } = await counted(() => herbert.edited.set([dune, earthsea], { clear: true }))
      expect(count).toBe(2)
      expect(sortedTitles(await herbert.edited.all())).toEqual(['A Wizard of Earthsea', 'Dune'])
    })

    test('set() on a non-nullable key only adds (clear is ignored, as in Django)', async () => {
      const { herbert, banks, dune, leftHand } = await seed()
      await banks.books.set([dune])
      expect(sortedTitles(await banks.books.all())).toEqual(['Dune'])
      await banks.books.set([leftHand], { clear: true })
      expect(sortedTitles(await banks.books.all())).toEqual(['Dune', 'The Left Hand of Darkness'])
      expect(sortedTitles(await herbert.books.all())).toEqual(['Dune Messiah'])
    })

    test('the manager of an unsaved instance refuses to work', async () => {
      await seed()
      const unsaved = new Author({ name: 'Nobody' })
      const message = /needs to have a value for field "id" before this relationship can be used/
      expect(await errorOf(() => unsaved.books.all())).toHaveProperty('message', expect.stringMatching(message))
      expect(await errorOf(() => unsaved.books.filter({ title: 'x' }))).toHaveProperty('message', expect.stringMatching(message))
      expect(await errorOf(() => unsaved.books.count())).toHaveProperty('message', expect.stringMatching(message))
      expect(await errorOf(() => unsaved.books.create({ title: 'x' }))).toHaveProperty('message', expect.stringMatching(message))
      expect(await Book.objects.filter({ title: 'x' }).count()).toBe(0)
    })
  })

  describe('selectRelated', () => {
    test("selectRelated('author') loads the authors with the books in one query", async () => {
      const { herbert, leguin } = await seed()
      const { result: books, count } = await counted(async () => await Book.objects.selectRelated('author').orderBy('title'))
      expect(count).toBe(1)
      expect(books.map((b) => b.title)).toEqual(['A Wizard of Earthsea', 'Dune', 'Dune Messiah', 'The Left Hand of Darkness'])
      const authors = await counted(async () => Promise.all(books.map(async (b) => await b.author)))
      expect(authors.count).toBe(0)
      expect(authors.result.map((a) => a.name)).toEqual(['Ursula Le Guin', 'Frank Herbert', 'Frank Herbert', 'Ursula Le Guin'])
      expect(authors.result.map((a) => a.pk)).toEqual([leguin.pk, herbert.pk, herbert.pk, leguin.pk])
      expect(authors.result.every((a) => a instanceof Author && a._state.adding === false)).toBe(true)
    })

    test("nested selectRelated('book__author') on Chapter", async () => {
      await seed()
      const { result: chapters, count } = await counted(async () => await Chapter.objects.selectRelated('book__author').orderBy('title'))
      expect(count).toBe(1)
      const reached = await counted(async () => {
        const out: string[] = []
        for (const chapter of chapters) {
          const book = await chapter.book
          out.push(`${chapter.title} / ${book.title} / ${(await book.author).name}`)
        }
        return out
      })
      expect(reached.count).toBe(0)
      expect(reached.result).toEqual([
        'Arrakis / Dune / Frank Herbert',
        'Muad\'Dib / Dune / Frank Herbert',
        'Warriors in the Mist / A Wizard of Earthsea / Ursula Le Guin',
      ])
    })

    test('selectRelated() with no argument follows the non-null keys only', async () => {
      await seed()
      const { result: chapters, count } = await counted(async () => await Chapter.objects.selectRelated().filter({ title: 'Arrakis' }))
      expect(count).toBe(1)
      const book = await counted(async () => await chapters[0]!.book)
      expect(book.count).toBe(0)
      expect((await counted(async () => await book.result.author)).count).toBe(0)
      expect((await book.result.author).name).toBe('Frank Herbert')
      // editor is nullable: not followed, so reading it queries.
      const editor = await counted(async () => await book.result.editor)
      expect(editor.count).toBe(1)
      expect(editor.result!.name).toBe('Ursula Le Guin')
    })

    test('a nullable key that is NULL gives null with no query; a set one gives the object', async () => {
      await seed()
      const { result: books, count } = await counted(async () => await Book.objects.selectRelated('editor', 'author').orderBy('title'))
      expect(count).toBe(1)
      const editors = await counted(async () => Promise.all(books.map(async (b) => (await b.editor)?.name ?? null)))
      expect(editors.count).toBe(0)
      expect(editors.result).toEqual(['Frank Herbert', 'Ursula Le Guin', null, null])
      expect(books).toHaveLength(4)
    })

    test('selectRelated() combines with filter() across the same relation', async () => {
      await seed()
      const books = await Book.objects.selectRelated('author').filter({ author__name: 'Ursula Le Guin' }).orderBy('pages')
      expect(books.map((b) => b.title)).toEqual(['A Wizard of Earthsea', 'The Left Hand of Darkness'])
      expect((await counted(async () => (await books[1]!.author).name)).count).toBe(0)
    })

    test('invalid names are a FieldError', async () => {
      await seed()
      const unknown = await errorOf(async () => await Book.objects.selectRelated('nope'))
      expect(unknown).toBeInstanceOf(FieldError)
      expect(unknown.message).toMatch(/Invalid field name\(s\) given in selectRelated/)
      expect(unknown.message).toContain('nope')
      expect(await errorOf(async () => await Book.objects.selectRelated('title'))).toBeInstanceOf(FieldError)
      expect(await errorOf(async () => await Book.objects.selectRelated('author__nope'))).toBeInstanceOf(FieldError)
      expect(await errorOf(async () => await Author.objects.selectRelated('books'))).toBeInstanceOf(FieldError)
    })
  })

  describe('prefetchRelated', () => {
    test("Author.objects.prefetchRelated('books') is two queries, then all() reads the cache", async () => {
      const { herbert, leguin, banks } = await seed()
      const { result: authors, count } = await counted(async () => await Author.objects.prefetchRelated('books'))
      expect(count).toBe(2)
      expect(authors.map((a) => a.name)).toEqual(['Frank Herbert', 'Iain Banks', 'Ursula Le Guin'])
      const lists = await counted(async () => Promise.all(authors.map(async (a) => sortedTitles(await a.books.all()))))
      expect(lists.count).toBe(0)
      expect(lists.result).toEqual([['Dune', 'Dune Messiah'], [], ['A Wizard of Earthsea', 'The Left Hand of Darkness']])
      expect(authors.map((a) => a.pk)).toEqual([herbert.pk, banks.pk, leguin.pk])
    })

    test('the number of queries does not grow with the number of authors', async () => {
      await seed()
      for (let i = 0; i < 5; i++) {
        const author = await Author.objects.create({ name: `Author ${i}` })
        await author.books.create({ title: `Book ${i}a` })
        await author.books.create({ title: `Book ${i}b` })
      }
      const { result: authors, count } = await counted(async () => await Author.objects.prefetchRelated('books'))
      expect(authors).toHaveLength(8)
      expect(count).toBe(2)
      const { result, count: cached } = await counted(async () => Promise.all(authors.map(async (a) => (await a.books.all()).length)))
      expect(cached).toBe(0)
      expect(result.reduce((a, b) => a + b, 0)).toBe(14)
      // No authors at all: one query, nothing to prefetch.
      expect((await counted(async () => await Author.objects.filter({ name: 'None' }).prefetchRelated('books'))).count).toBe(1)
    })

    test('prefetched books know their author (no query to go back)', async () => {
      await seed()
      const authors = await Author.objects.prefetchRelated('books')
      const { result, count } = await counted(async () => {
        const pairs: Array<[Author, Author]> = []
        for (const author of authors) for (const book of await author.books.all()) pairs.push([author, await book.author])
        return pairs
      })
      expect(count).toBe(0)
      expect(result).toHaveLength(4)
      for (const [author, back] of result) expect(back).toBe(author)
    })

    test('count() and exists() on a prefetched manager use the cache', async () => {
      await seed()
      const authors = await Author.objects.prefetchRelated('books')
      const { result, count } = await counted(async () => Promise.all(authors.map(async (a) => [await a.books.count(), await a.books.exists()])))
      expect(result).toEqual([[2, true], [0, false], [2, true]])
      expect(count).toBe(0)
    })

    test('add() and create() drop the prefetched rows, so the next read is fresh', async () => {
      const { leftHand } = await seed()
      let [herbert] = await Author.objects.filter({ name: 'Frank Herbert' }).prefetchRelated('books')
      await herbert!.books.add(leftHand)
      expect(sortedTitles(await herbert!.books.all())).toEqual(['Dune', 'Dune Messiah', 'The Left Hand of Darkness'])
      ;[herbert] = await Author.objects.filter({ name: 'Frank Herbert' }).prefetchRelated('books')
      await herbert!.books.create({ title: 'Children of Dune', pages: 444 })
      expect(sortedTitles(await herbert!.books.all())).toEqual(['Children of Dune', 'Dune', 'Dune Messiah', 'The Left Hand of Darkness'])
    })

    test("forward prefetch Book.objects.prefetchRelated('author') is two queries", async () => {
      await seed()
      const { result: books, count } = await counted(async () => await Book.objects.prefetchRelated('author').orderBy('title'))
      expect(count).toBe(2)
      const names = await counted(async () => Promise.all(books.map(async (b) => (await b.author).name)))
      expect(names.count).toBe(0)
      expect(names.result).toEqual(['Ursula Le Guin', 'Frank Herbert', 'Frank Herbert', 'Ursula Le Guin'])
      // One object per author, shared by its books.
      expect(await books[1]!.author).toBe(await books[2]!.author)
      // A nullable key: NULL gives null, no query for it.
      const withEditors = await counted(async () => await Book.objects.prefetchRelated('editor').orderBy('title'))
      expect(withEditors.count).toBe(2)
      const editors = await counted(async () => Promise.all(withEditors.result.map(async (b) => (await b.editor)?.name ?? null)))
      expect(editors.count).toBe(0)
      expect(editors.result).toEqual(['Frank Herbert', 'Ursula Le Guin', null, null])
      // Nothing to fetch when every key is NULL.
      const unedited = await counted(async () => await Book.objects.filter({ editor__isnull: true }).prefetchRelated('editor'))
      expect(unedited.count).toBe(1)
      expect(await unedited.result[0]!.editor).toBeNull()
    })

    test("nested 'books__chapters' is three queries", async () => {
      await seed()
      const { result: authors, count } = await counted(async () => await Author.objects.prefetchRelated('books__chapters'))
      expect(count).toBe(3)
      const tree = await counted(async () => {
        const out: Record<string, Record<string, string[]>> = {}
        for (const author of authors) {
          out[author.name] = {}
          for (const book of await author.books.all()) out[author.name]![book.title] = (await book.chapters.all()).map((c) => c.title).sort()
        }
        return out
      })
      expect(tree.count).toBe(0)
      expect(tree.result).toEqual({
        'Frank Herbert': { 'Dune': ['Arrakis', 'Muad\'Dib'], 'Dune Messiah': [] },
        'Iain Banks': {},
        'Ursula Le Guin': { 'A Wizard of Earthsea': ['Warriors in the Mist'], 'The Left Hand of Darkness': [] },
      })
      // Forward nesting from the other end.
      const chapters = await counted(async () => await Chapter.objects.prefetchRelated('book__author'))
      expect(chapters.count).toBe(3)
      const authorsOfChapters = await counted(async () => Promise.all(chapters.result.map(async (c) => (await (await c.book).author).name)))
      expect(authorsOfChapters.count).toBe(0)
      expect(authorsOfChapters.result.sort()).toEqual(['Frank Herbert', 'Frank Herbert', 'Ursula Le Guin'])
    })

    test('Prefetch(lookup, { queryset, toAttr }) stores the filtered rows on the attribute', async () => {
      await seed()
      const { result: authors, count } = await counted(async () =>
        await Author.objects.prefetchRelated(new Prefetch('books', { queryset: Book.objects.filter({ pages__gt: 300 }), toAttr: 'longBooks' })))
      expect(count).toBe(2)
      expect(authors.map((a) => a.name)).toEqual(['Frank Herbert', 'Iain Banks', 'Ursula Le Guin'])
      expect(authors.map((a) => Array.isArray(a.longBooks))).toEqual([true, true, true])
      expect(authors.map((a) => sortedTitles(a.longBooks!))).toEqual([['Dune'], [], ['The Left Hand of Darkness']])
      // toAttr leaves the manager alone: all() still queries and gives every book.
      const all = await counted(async () => await authors[0]!.books.all())
      expect(all.count).toBe(1)
      expect(sortedTitles(all.result)).toEqual(['Dune', 'Dune Messiah'])
    })

    test('Prefetch(lookup, { queryset }) without toAttr fills the manager with the filtered rows', async () => {
      await seed()
      const authors = await Author.objects.prefetchRelated(new Prefetch('books', { queryset: Book.objects.filter({ pages__lt: 300 }) }))
      const { result, count } = await counted(async () => Promise.all(authors.map(async (a) => sortedTitles(await a.books.all()))))
      expect(count).toBe(0)
      expect(result).toEqual([['Dune Messiah'], [], ['A Wizard of Earthsea']])
    })

    test('prefetchRelatedObjects() loads relations of instances already fetched', async () => {
      await seed()
      const authors = await Author.objects.all()
      const { count } = await counted(() => prefetchRelatedObjects(authors, 'books'))
      expect(count).toBe(1)
      const lists = await counted(async () => Promise.all(authors.map(async (a) => sortedTitles(await a.books.all()))))
      expect(lists.count).toBe(0)
      expect(lists.result).toEqual([['Dune', 'Dune Messiah'], [], ['A Wizard of Earthsea', 'The Left Hand of Darkness']])
      // Through a forward key and back.
      const books = await Book.objects.filter({ title: 'Dune' })
      expect((await counted(() => prefetchRelatedObjects(books, 'author', 'author__books'))).count).toBe(2)
      const reached = await counted(async () => sortedTitles(await (await books[0]!.author).books.all()))
      expect(reached.count).toBe(0)
      expect(reached.result).toEqual(['Dune', 'Dune Messiah'])
      // No instances, no query.
      expect((await counted(() => prefetchRelatedObjects([], 'books'))).count).toBe(0)
    })

    test('an invalid lookup throws an error naming it', async () => {
      await seed()
      const unknown = await errorOf(async () => await Author.objects.prefetchRelated('nope'))
      expect(unknown.message).toContain('nope')
      expect(unknown.message).toMatch(/prefetchRelated/)
      const nested = await errorOf(async () => await Author.objects.prefetchRelated('books__nope'))
      expect(nested.message).toContain('nope')
      const plain = await errorOf(async () => await Author.objects.prefetchRelated('name'))
      expect(plain.message).toContain('name')
      const direct = await errorOf(async () => prefetchRelatedObjects(await Author.objects.all(), 'bogus'))
      expect(direct.message).toContain('bogus')
    })
  })

  describe('strict relations', () => {
    afterEach(() => setStrictRelations(false))

    test('an unloaded forward key throws RelatedObjectNotLoaded naming the model, the field and the fix', async () => {
      const { dune } = await seed()
      const book = await Book.objects.get({ pk: dune.pk })
      setStrictRelations(true)
      const { result: error, count } = await counted(() => errorOf(async () => await book.author))
      expect(count).toBe(0)
      expect(error).toBeInstanceOf(RelatedObjectNotLoaded)
      expect(error.name).toBe('RelatedObjectNotLoaded')
      expect(error.message).toContain('Book')
      expect(error.message).toContain('author')
      expect(error.message).toContain('selectRelated')
      expect(error.message).toContain('prefetchRelated')
      // The other key is not loaded either.
      await expect(Promise.resolve(book.editor)).rejects.toThrow(RelatedObjectNotLoaded)
      // A NULL key needs no query, so it is allowed.
      setStrictRelations(false)
      const unedited = await Book.objects.get({ title: 'Dune Messiah' })
      setStrictRelations(true)
      expect(await unedited.editor).toBeNull()
    })

    test('after selectRelated or prefetchRelated the same access works', async () => {
      await seed()
      setStrictRelations(true)
      const selected = await Book.objects.selectRelated('author').orderBy('title')
      expect(await Promise.all(selected.map(async (b) => (await b.author).name))).toEqual(
        ['Ursula Le Guin', 'Frank Herbert', 'Frank Herbert', 'Ursula Le Guin'])
      const prefetched = await Book.objects.prefetchRelated('author').orderBy('title')
      expect((await prefetched[0]!.author).name).toBe('Ursula Le Guin')
      const authors = await Author.objects.prefetchRelated('books')
      expect(sortedTitles(await authors[0]!.books.all())).toEqual(['Dune', 'Dune Messiah'])
      // The books prefetched through the reverse relation know their author.
      expect((await (await authors[0]!.books.all())[0]!.author).name).toBe('Frank Herbert')
      // An assigned object is loaded too.
      const book = selected[0]!
      book.author = authors[1]!
      expect(await book.author).toBe(authors[1])
    })

    test('author.books.all() without prefetching throws', async () => {
      await seed()
      const [herbert] = await Author.objects.filter({ name: 'Frank Herbert' })
      setStrictRelations(true)
      const error = await errorOf(() => herbert!.books.all())
      expect(error).toBeInstanceOf(RelatedObjectNotLoaded)
      expect(error.message).toContain('Author')
      expect(error.message).toContain('books')
      expect(error.message).toContain('prefetchRelated')
    })

    test('setup({ strictRelations: true }) turns it on', async () => {
      try {
        await setup({ databases: { default: dialect.url }, apps: [app], strictRelations: true })
        await migrate()
        setStrictRelations(false)
        await seed()
        const book = await Book.objects.get({ title: 'Dune' })
        await setup({ databases: { default: dialect.url }, apps: [app], strictRelations: true })
        await migrate()
        await expect(Promise.resolve(book.author)).rejects.toThrow(RelatedObjectNotLoaded)
      } finally {
        await setup({ databases: { default: dialect.url }, apps: [app] })
        await migrate()
      }
      // Back to lenient: the same access queries.
      const author = await Author.objects.create({ name: 'Lenient' })
      const book = await Book.objects.get({ pk: (await author.books.create({ title: 'Lenient Book' })).pk })
      expect((await book.author).name).toBe('Lenient')
    })
  })

  describe('only() and defer()', () => {
    test("only('title') loads the title and the key; a deferred field loads on access", async () => {
      const { dune } = await seed()
      const { result: book, queries } = await counted(async () => await Book.objects.only('title').get({ pk: dune.pk }))
      expect(queries).toHaveLength(1)
      expect(queries[0]!.sql).not.toMatch(/pages/)
      expect(queries[0]!.sql).not.toMatch(/isbn/)
      expect(book.title).toBe('Dune')
      expect(book.id).toBe(dune.pk)
      const loaded = await counted(async () => await book.pages)
      expect(loaded.result).toBe(412)
      expect(loaded.count).toBe(1)
      // Now it is the plain value.
      expect(book.pages).toBe(412)
      expect((await counted(() => book.pages)).count).toBe(0)
    })

    test("defer('pages') leaves out only that field", async () => {
      const { dune } = await seed()
      const { result: book, queries } = await counted(async () => await Book.objects.defer('pages').get({ pk: dune.pk }))
      expect(queries[0]!.sql).not.toMatch(/pages/)
      expect(book.title).toBe('Dune')
      expect(book.isbn).toBe('9780441013593')
      expect(book.authorId).toBe(dune.authorId)
      expect(await book.pages).toBe(412)
      expect(book.pages).toBe(412)
    })

    test('a deferred foreign key still gives the related object on access', async () => {
      const { dune } = await seed()
      const book = await Book.objects.only('title').get({ pk: dune.pk })
      const { result, count } = await counted(async () => await book.author)
      expect(result).toBeInstanceOf(Author)
      expect(result.name).toBe('Frank Herbert')
      expect(count).toBeLessThanOrEqual(2)
    })

    test('save() of a partly loaded instance updates only the loaded fields', async () => {
      const { dune, banks } = await seed()
      const book = await Book.objects.only('title').get({ pk: dune.pk })
      // Meanwhile someone else changes the fields this instance did not load.
      await Book.objects.filter({ pk: dune.pk }).update({ pages: 999, author: banks.pk })
      book.title = 'Dune (revised)'
      const { queries } = await counted(() => book.save())
      expect(queries.filter((q) => /^\s*UPDATE/i.test(q.sql))).toHaveLength(1)
      const update = queries.find((q) => /^\s*UPDATE/i.test(q.sql))!
      expect(update.sql).toMatch(/title/)
      expect(update.sql).not.toMatch(/pages|author_id|isbn/)
      const fresh = await Book.objects.get({ pk: dune.pk })
      expect(fresh.title).toBe('Dune (revised)')
      expect(fresh.pages).toBe(999)
      expect(fresh.authorId).toBe(banks.pk)
      expect(fresh.isbn).toBe('9780441013593')
    })

    test('a deferred field loaded later is saved too; the still-deferred ones are not', async () => {
      const { dune, banks } = await seed()
      const book = await Book.objects.only('title').get({ pk: dune.pk })
      await Book.objects.filter({ pk: dune.pk }).update({ author: banks.pk })
      expect(await book.pages).toBe(412)
      book.pages = 500
      book.title = 'Dune (abridged)'
      await book.save()
      const fresh = await Book.objects.get({ pk: dune.pk })
      expect(fresh.title).toBe('Dune (abridged)')
      expect(fresh.pages).toBe(500)
      expect(fresh.authorId).toBe(banks.pk)
      expect(fresh.isbn).toBe('9780441013593')
    })
  })

  describe('inBulk()', () => {
    test('inBulk([ids]) maps the primary keys found to their rows', async () => {
      const { dune, earthsea } = await seed()
      const { result: map, count } = await counted(() => Book.objects.inBulk([dune.pk, earthsea.pk, 999_999]))
      expect(count).toBe(1)
      expect(map).toBeInstanceOf(Map)
      expect(map.size).toBe(2)
      expect([...map.keys()].sort((a, b) => Number(a) - Number(b))).toEqual([dune.pk, earthsea.pk].sort((a, b) => a - b))
      expect(map.get(dune.pk)!.title).toBe('Dune')
      expect(map.get(earthsea.pk)).toBeInstanceOf(Book)
      expect(map.has(999_999)).toBe(false)
    })

    test('inBulk() with no ids gives every row; filters apply', async () => {
      const { herbert } = await seed()
      const all = await Book.objects.inBulk()
      expect(all.size).toBe(4)
      for (const [key, book] of all) expect(key).toBe(book.pk)
      const mine = await herbert.books.inBulk()
      expect(sortedTitles([...mine.values()])).toEqual(['Dune', 'Dune Messiah'])
    })

    test('inBulk([]) is empty without a query', async () => {
      await seed()
      const { result, count } = await counted(() => Book.objects.inBulk([]))
      expect(result.size).toBe(0)
      expect(count).toBe(0)
      expect((await counted(() => Book.objects.inBulk([], { fieldName: 'isbn' }))).count).toBe(0)
    })

    test('fieldName: a unique field keys the map; a non-unique one throws', async () => {
      await seed()
      const byIsbn = await Book.objects.inBulk(['9780441013593', '9780593098233'], { fieldName: 'isbn' })
      expect([...byIsbn.keys()].sort()).toEqual(['9780441013593', '9780593098233'])
      expect(byIsbn.get('9780593098233')!.title).toBe('Dune Messiah')
      const error = await errorOf(() => Book.objects.inBulk(['Dune'], { fieldName: 'title' }))
      expect(error.message).toMatch(/must be a unique field/)
      expect(error.message).toContain('title')
    })
  })

  describe('iterator()', () => {
    async function fiveBooks(): Promise<Book[]> {
      const author = await Author.objects.create({ name: 'Prolific' })
      const books: Book[] = []
      for (const title of ['C', 'A', 'E', 'B', 'D']) {
        const book = await author.books.create({ title, pages: title.charCodeAt(0) })
        await book.chapters.create({ title: `${title}1` })
        books.push(book)
      }
      return books
    }

    test('iterator({ chunkSize: 2 }) yields every row in order, in few queries', async () => {
      const books = await fiveBooks()
      const { result, count } = await counted(async () => {
        const out: Book[] = []
        for await (const book of Book.objects.iterator({ chunkSize: 2 })) out.push(book)
        return out
      })
      expect(result.map((b) => b.pk)).toEqual(books.map((b) => b.pk))
      expect(result.map((b) => b.title)).toEqual(['C', 'A', 'E', 'B', 'D'])
      expect(count).toBeLessThanOrEqual(Math.ceil(5 / 2) + 1)
      expect(count).toBeGreaterThanOrEqual(Math.ceil(5 / 2))
    })

    test('iterator() with prefetchRelated prefetches per chunk', async () => {
      await fiveBooks()
      const { result, count } = await counted(async () => {
        const out: Book[] = []
        for await (const book of Book.objects.prefetchRelated('chapters', 'author').iterator({ chunkSize: 2 })) out.push(book)
        return out
      })
      expect(result).toHaveLength(5)
      expect(count).toBeLessThanOrEqual((Math.ceil(5 / 2) + 1) * 3)
      const cached = await counted(async () => Promise.all(result.map(async (b) => `${(await b.author).name}:${(await b.chapters.all()).map((c) => c.title).join(',')}`)))
      expect(cached.count).toBe(0)
      expect(cached.result).toEqual(['Prolific:C1', 'Prolific:A1', 'Prolific:E1', 'Prolific:B1', 'Prolific:D1'])
    })

    test("iterator() keeps a custom orderBy('-title') and the model's default ordering", async () => {
      await fiveBooks()
      const { result, count } = await counted(async () => {
        const out: string[] = []
        for await (const book of Book.objects.orderBy('-title').iterator({ chunkSize: 2 })) out.push(book.title)
        return out
      })
      expect(result).toEqual(['E', 'D', 'C', 'B', 'A'])
      expect(count).toBeLessThanOrEqual(Math.ceil(5 / 2) + 1)
      const byPages: number[] = []
      for await (const book of Book.objects.filter({ pages__gte: 66 }).orderBy('pages').iterator({ chunkSize: 3 })) byPages.push(book.pages)
      expect(byPages).toEqual([66, 67, 68, 69])
      await Author.objects.create({ name: 'Aardvark' })
      const names: string[] = []
      for await (const author of Author.objects.iterator({ chunkSize: 1 })) names.push(author.name)
      expect(names).toEqual(['Aardvark', 'Prolific'])
    })
  })

  describe('selectForUpdate()', () => {
    test('outside a transaction it throws TransactionManagementError', async () => {
      await seed()
      const error = await errorOf(async () => await Book.objects.selectForUpdate().filter({ title: 'Dune' }))
      expect(error).toBeInstanceOf(TransactionManagementError)
      expect(error.message).toBe('select_for_update cannot be used outside of a transaction.')
    })

    test('inside atomic() it returns the rows on every database', async () => {
      const { herbert } = await seed()
      const titles = await atomic(async () => {
        const rows = await Book.objects.selectForUpdate().filter({ author: herbert.pk }).orderBy('title')
        return rows.map((b) => b.title)
      })
      expect(titles).toEqual(['Dune', 'Dune Messiah'])
      const withAuthor = await atomic(async () => {
        const rows = await Book.objects.selectForUpdate().selectRelated('author').orderBy('title')
        const names: string[] = []
        for (const row of rows) names.push((await row.author).name)
        return names
      })
      expect(withAuthor).toEqual(['Ursula Le Guin', 'Frank Herbert', 'Frank Herbert', 'Ursula Le Guin'])
    })
  })

  describe('using()', () => {
    test("using('default') reads the default database", async () => {
      await seed()
      const books = await Book.objects.using('default').orderBy('title')
      expect(books.map((b) => b.title)).toEqual(['A Wizard of Earthsea', 'Dune', 'Dune Messiah', 'The Left Hand of Darkness'])
      expect(books.every((b) => b._state.db === 'default')).toBe(true)
      expect(await Book.objects.using('default').filter({ pages__gt: 300 }).count()).toBe(2)
    })

    test('an unknown alias throws, naming the configured ones', async () => {
      await seed()
      const error = await errorOf(async () => await Book.objects.using('replica'))
      expect(error.message).toContain("'replica'")
      expect(error.message).toContain('default')
    })
  })
})
