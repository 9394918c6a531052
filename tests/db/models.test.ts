import { expect, test } from 'vitest'
import {
  CASCADE, IntegrityError, Model, TransactionManagementError, atomic, captureQueries, defineApp, fields as f, inAtomicBlock, onCommit,
  postDelete, postSave, preDelete, preSave,
} from '../../src/db/index.ts'
import { describeEachDialect } from '../support/dialects.ts'

class Author extends Model.define('modeltest.Author', {
  name: f.char({ maxLength: 100 }),
}) {}

class Book extends Model.define('modeltest.Book', {
  title: f.char({ maxLength: 200 }),
  pages: f.integer({ default: 0 }),
  author: f.foreignKey(() => Author, { onDelete: CASCADE, null: true }),
}) {}

/** Constructor values with an explicit key: accepted at run time, though the input type omits `id` and `pk`. */
function withKey(values: { id?: number; pk?: number; title: string }): { title: string } {
  return values
}

const modelsApp = defineApp({ label: 'modeltest', models: [Author, Book] })

describeEachDialect('models', [modelsApp], () => {
  test('the constructor takes field values and defaults', () => {
    const book = new Book({ title: 'Dune' })
    expect(book.title).toBe('Dune')
    expect(book.pages).toBe(0)
    expect(book.authorId).toBe(null)
    expect(book.id).toBe(null)
    expect(book.pk).toBe(null)
    expect(() => new Book({ title: 'x', nope: 1 } as any)).toThrow(TypeError)
    expect(() => new Book({ title: 'x', nope: 1 } as any)).toThrow(/unexpected keyword arguments: 'nope'/)
  })

  test('a related instance given to the constructor sets <name>Id', async () => {
    const author = await Author.objects.create({ name: 'Frank' })
    const book = new Book({ title: 'Dune', author })
    expect(book.authorId).toBe(author.id)
    expect(await book.author).toBe(author)
    const byId = new Book({ title: 'Dune', authorId: author.id })
    expect(byId.authorId).toBe(author.id)
    const loaded = await byId.author
    expect(loaded!.name).toBe('Frank')
    // Assigning the relation later does the same.
    const other = await Author.objects.create({ name: 'Ursula' })
    byId.author = other
    expect(byId.authorId).toBe(other.id)
    await byId.save()
    expect((await Book.objects.get({ pk: byId.id })).authorId).toBe(other.id)
  })

  test('saving with an unsaved related object is refused', async () => {
    const author = new Author({ name: 'Nobody' })
    const book = new Book({ title: 'Orphan', author })
    await expect(book.save()).rejects.toThrow("save() prohibited to prevent data loss due to unsaved related object 'author'.")
    expect(await Book.objects.count()).toBe(0)
    // Once the related object is saved, its key is picked up.
    await author.save()
    await book.save()
    expect(book.authorId).toBe(author.id)
    expect((await Book.objects.get({ pk: book.id })).authorId).toBe(author.id)
  })

  test('save() inserts a new instance in one query, then updates it in one query', async () => {
    const book = new Book({ title: 'Dune', pages: 412 })
    const insert = await captureQueries(() => book.save())
    expect(insert.queries).toHaveLength(1)
    expect(insert.queries[0]!.sql).toMatch(/^insert/i)
    expect(typeof book.id).toBe('number')
    expect(book.id).toBeGreaterThan(0)
    expect(await Book.objects.count()).toBe(1)

    const loaded = await Book.objects.get({ pk: book.id })
    loaded.title = 'Dune Messiah'
    const update = await captureQueries(() => loaded.save())
    expect(update.queries).toHaveLength(1)
    expect(update.queries[0]!.sql).toMatch(/^update/i)
    expect(await Book.objects.count()).toBe(1)
    expect((await Book.objects.get({ pk: book.id })).title).toBe('Dune Messiah')

    // Saving the original instance again updates the same row.
    book.pages = 500
    await book.save()
    expect(await Book.objects.count()).toBe(1)
    const fresh = await Book.objects.get({ pk: book.id })
    expect(fresh.pages).toBe(500)
    expect(fresh.title).toBe('Dune')
  })

  test('save() of a loaded instance whose row is gone inserts it again', async () => {
    const book = await Book.objects.create({ title: 'Phoenix' })
    const id = book.id
    await Book.objects.filter({ pk: id }).delete()
    await book.save()
    expect(book.id).toBe(id)
    expect((await Book.objects.get({ pk: id })).title).toBe('Phoenix')
    // forceUpdate refuses to insert.
    await Book.objects.filter({ pk: id }).delete()
    await expect(book.save({ forceUpdate: true })).rejects.toThrow('Forced update did not affect any rows.')
  })

  test('forceInsert on an existing primary key raises IntegrityError', async () => {
    const book = await Book.objects.create({ title: 'One' })
    const duplicate = new Book(withKey({ id: book.id, title: 'Two' }))
    await expect(duplicate.save({ forceInsert: true })).rejects.toBeInstanceOf(IntegrityError)
    expect(await Book.objects.count()).toBe(1)
    expect((await Book.objects.get({ pk: book.id })).title).toBe('One')
  })

  test('updateFields writes only the listed fields', async () => {
    const book = await Book.objects.create({ title: 'Draft', pages: 10 })
    const loaded = await Book.objects.get({ pk: book.id })
    // Another writer changes a different column meanwhile.
    expect(await Book.objects.filter({ pk: book.id }).update({ pages: 99 })).toBe(1)
    loaded.title = 'Final'
    loaded.pages = 11
    const { queries } = await captureQueries(() => loaded.save({ updateFields: ['title'] }))
    expect(queries).toHaveLength(1)
    expect(queries[0]!.sql).toMatch(/^update/i)
    expect(queries[0]!.sql).not.toMatch(/pages/)
    const fresh = await Book.objects.get({ pk: book.id })
    expect(fresh.title).toBe('Final')
    expect(fresh.pages).toBe(99)
  })

  test('delete() returns the counts and clears the primary key', async () => {
    const book = await Book.objects.create({ title: 'Gone' })
    const keep = await Book.objects.create({ title: 'Kept' })
    const id = book.id
    const result = await book.delete()
    expect(result).toEqual([1, { 'modeltest.Book': 1 }])
    expect(book.pk).toBe(null)
    expect(book.id).toBe(null)
    expect(await Book.objects.filter({ pk: id }).exists()).toBe(false)
    expect(await Book.objects.filter({ pk: keep.id }).exists()).toBe(true)
    // An instance without a primary key cannot be deleted.
    await expect(book.delete()).rejects.toThrow(TypeError)
  })

  test('refreshFromDb() reloads the values', async () => {
    const book = await Book.objects.create({ title: 'Old', pages: 1 })
    await Book.objects.filter({ pk: book.id }).update({ title: 'New', pages: 2 })
    expect(book.title).toBe('Old')
    await book.refreshFromDb()
    expect(book.title).toBe('New')
    expect(book.pages).toBe(2)
    await Book.objects.filter({ pk: book.id }).update({ title: 'Newer', pages: 3 })
    await book.refreshFromDb({ fields: ['title'] })
    expect(book.title).toBe('Newer')
    expect(book.pages).toBe(2)
    await Book.objects.filter({ pk: book.id }).delete()
    await expect(book.refreshFromDb()).rejects.toBeInstanceOf(Book.DoesNotExist)
  })

  test('pk reads and writes the primary key attribute', async () => {
    const book = await Book.objects.create({ title: 'Pk' })
    expect(book.pk).toBe(book.id)
    const other = new Book({ title: 'Other' })
    other.pk = 42
    expect(other.id).toBe(42)
    expect(other.pk).toBe(42)
    const byPk = new Book(withKey({ pk: 7, title: 'Seven' }))
    expect(byPk.id).toBe(7)
  })

  test('equals(): same model and primary key; an unsaved instance only equals itself', async () => {
    const book = await Book.objects.create({ title: 'Eq' })
    const again = await Book.objects.get({ pk: book.id })
    expect(again).not.toBe(book)
    expect(book.equals(again)).toBe(true)
    expect(again.equals(book)).toBe(true)
    const another = await Book.objects.create({ title: 'Eq2' })
    expect(book.equals(another)).toBe(false)
    const author = await Author.objects.create({ name: 'A' })
    const sameIdBook = new Book(withKey({ id: author.id, title: 'x' }))
    expect(author.equals(sameIdBook)).toBe(false)
    expect(book.equals({ id: book.id })).toBe(false)
    const unsaved = new Book({ title: 'u' })
    const unsaved2 = new Book({ title: 'u' })
    expect(unsaved.equals(unsaved)).toBe(true)
    expect(unsaved.equals(unsaved2)).toBe(false)
  })

  test('toString() by default', () => {
    expect(new Book(withKey({ id: 1, title: 'x' })).toString()).toBe('Book object (1)')
    expect(String(new Book(withKey({ id: 1, title: 'x' })))).toBe('Book object (1)')
    expect(new Book({ title: 'x' }).toString()).toBe('Book object (None)')
  })

  test('_state tracks adding and the database', async () => {
    const book = new Book({ title: 'State' })
    expect(book._state.adding).toBe(true)
    expect(book._state.db).toBe(null)
    await book.save()
    expect(book._state.adding).toBe(false)
    expect(book._state.db).toBe('default')
    const loaded = await Book.objects.get({ pk: book.id })
    expect(loaded._state.adding).toBe(false)
    expect(loaded._state.db).toBe('default')
    const created = await Book.objects.create({ title: 'Created' })
    expect(created._state.adding).toBe(false)
    expect(created._state.db).toBe('default')
  })

  test('preSave / postSave signals, filtered by sender, until disconnected', async () => {
    const events: Array<[string, unknown, boolean | undefined]> = []
    const onPreSave = ({ instance, sender }: { instance: unknown; sender: unknown }) => {
      events.push(['pre', sender, (instance as Book)._state.adding])
    }
    const onPostSave = ({ instance, created, sender, using }: { instance: unknown; created: boolean; sender: unknown; using: string }) => {
      expect(using).toBe('default')
      expect((instance as Book).id).not.toBe(null)
      events.push(['post', sender, created])
    }
    preSave.connect(onPreSave, { sender: Book })
    postSave.connect(onPostSave, { sender: Book })
    try {
      await Author.objects.create({ name: 'Not a book' })
      expect(events).toEqual([])
      const book = new Book({ title: 'Signals' })
      await book.save()
      expect(events).toEqual([['pre', Book, true], ['post', Book, true]])
      book.title = 'Signals 2'
      await book.save()
      expect(events).toEqual([['pre', Book, true], ['post', Book, true], ['pre', Book, false], ['post', Book, false]])
    } finally {
      expect(preSave.disconnect(onPreSave, { sender: Book })).toBe(true)
      expect(postSave.disconnect(onPostSave, { sender: Book })).toBe(true)
    }
    await Book.objects.create({ title: 'Unheard' })
    expect(events).toHaveLength(4)
  })

  test('a receiver connected without a sender hears every model', async () => {
    const senders: unknown[] = []
    const receiver = ({ sender }: { sender: unknown }) => { senders.push(sender) }
    postSave.connect(receiver)
    try {
      await Author.objects.create({ name: 'A' })
      await Book.objects.create({ title: 'B' })
    } finally {
      postSave.disconnect(receiver)
    }
    expect(senders).toEqual([Author, Book])
  })

  test('preDelete / postDelete signals, filtered by sender, until disconnected', async () => {
    const events: Array<[string, unknown, unknown]> = []
    const onPreDelete = ({ instance, sender }: { instance: unknown; sender: unknown }) => {
      events.push(['pre', sender, (instance as Book).pk])
    }
    const onPostDelete = ({ instance, sender }: { instance: unknown; sender: unknown }) => {
      events.push(['post', sender, (instance as Book).pk])
    }
    preDelete.connect(onPreDelete, { sender: Book })
    postDelete.connect(onPostDelete, { sender: Book })
    const book = await Book.objects.create({ title: 'Doomed' })
    const id = book.id
    try {
      const author = await Author.objects.create({ name: 'Solo' })
      await author.delete()
      expect(events).toEqual([])
      await book.delete()
      expect(events).toEqual([['pre', Book, id], ['post', Book, id]])
    } finally {
      preDelete.disconnect(onPreDelete, { sender: Book })
      postDelete.disconnect(onPostDelete, { sender: Book })
    }
    await (await Book.objects.create({ title: 'Quiet' })).delete()
    expect(events).toHaveLength(2)
  })

  test('atomic() commits', async () => {
    expect(inAtomicBlock()).toBe(false)
    const result = await atomic(async () => {
      expect(inAtomicBlock()).toBe(true)
      await Book.objects.create({ title: 'Committed' })
      return 'done'
    })
    expect(result).toBe('done')
    expect(inAtomicBlock()).toBe(false)
    expect(await Book.objects.filter({ title: 'Committed' }).count()).toBe(1)
  })

  test('atomic() rolls back when the block throws', async () => {
    await expect(atomic(async () => {
      await Book.objects.create({ title: 'Rolled back' })
      expect(await Book.objects.count()).toBe(1)
      throw new Error('boom')
    })).rejects.toThrow('boom')
    expect(await Book.objects.count()).toBe(0)
  })

  test('a nested atomic() that throws rolls back only the inner block', async () => {
    await atomic(async () => {
      await Book.objects.create({ title: 'Outer' })
      await expect(atomic(async () => {
        await Book.objects.create({ title: 'Inner' })
        throw new Error('inner failure')
      })).rejects.toThrow('inner failure')
      expect(inAtomicBlock()).toBe(true)
      await Book.objects.create({ title: 'Outer again' })
    })
    const titles = (await Book.objects.orderBy('title').valuesList('title', { flat: true })) as string[]
    expect(titles).toEqual(['Outer', 'Outer again'])
  })

  test('a nested atomic() that succeeds commits with the outer block', async () => {
    await expect(atomic(async () => {
      await atomic(async () => { await Book.objects.create({ title: 'Inner ok' }) })
      throw new Error('outer failure')
    })).rejects.toThrow('outer failure')
    expect(await Book.objects.count()).toBe(0)
    await atomic(async () => {
      await atomic(async () => { await Book.objects.create({ title: 'Inner ok' }) })
    })
    expect(await Book.objects.count()).toBe(1)
  })

  test('onCommit callbacks run after the outermost commit only', async () => {
    const calls: string[] = []
    await atomic(async () => {
      await onCommit(() => { calls.push('outer') })
      await atomic(async () => {
        await onCommit(() => { calls.push('inner') })
      })
      expect(calls).toEqual([])
      await Book.objects.create({ title: 'x' })
      expect(calls).toEqual([])
    })
    expect(calls).toEqual(['outer', 'inner'])
  })

  test('onCommit callbacks never run on rollback', async () => {
    const calls: string[] = []
    await expect(atomic(async () => {
      await onCommit(() => { calls.push('outer') })
      throw new Error('rollback')
    })).rejects.toThrow('rollback')
    expect(calls).toEqual([])

    await atomic(async () => {
      await onCommit(() => { calls.push('kept') })
      await atomic(async () => {
        await onCommit(() => { calls.push('discarded') })
        throw new Error('inner')
      }).catch(() => {})
    })
    expect(calls).toEqual(['kept'])
  })

  test('onCommit outside a transaction runs at once', async () => {
    const calls: string[] = []
    await onCommit(() => { calls.push('now') })
    expect(calls).toEqual(['now'])
  })

  test('atomic({ savepoint: false }) inside a block sends no SAVEPOINT and shares its transaction', async () => {
    const { queries } = await captureQueries(() => atomic(async () => {
      await Author.objects.create({ name: 'outer' })
      await atomic(() => Author.objects.create({ name: 'inner' }), { savepoint: false })
    }))
    expect(queries.some((q) => /savepoint/i.test(q.sql))).toBe(false)
    expect(await Author.objects.filter({ name__in: ['outer', 'inner'] }).count()).toBe(2)
    // A plain nested block does use one, and its statements count as queries (as in Django).
    const nested = await captureQueries(() => atomic(() => atomic(() => Author.objects.create({ name: 'nested' }))))
    expect(nested.queries.filter((q) => /savepoint/i.test(q.sql)).map((q) => q.sql.replace(/ \S+$/, ''))).toEqual(['SAVEPOINT', 'RELEASE SAVEPOINT'])
  })

  test('a failed block without a savepoint dooms the transaction: queries are refused, and it rolls back even if the error is caught', async () => {
    let refused: Error | undefined
    await atomic(async () => {
      await Author.objects.create({ name: 'kept?' })
      await atomic(async () => { throw new Error('inner failure') }, { savepoint: false }).catch(() => {})
      refused = await Author.objects.count().then(() => undefined, (error: Error) => error)
    })
    expect(refused).toBeInstanceOf(TransactionManagementError)
    expect(refused!.message).toBe("An error occurred in the current transaction. You can't execute queries until the end of the 'atomic' block.")
    expect(await Author.objects.filter({ name: 'kept?' }).count()).toBe(0)
  })

  test('in a doomed transaction, a nested atomic() gets no savepoint and its queries are refused like the rest', async () => {
    await Author.objects.create({ name: 'unique-ish' })
    let nested: unknown
    let bulk: unknown
    await atomic(async () => {
      await atomic(async () => { throw new Error('inner failure') }, { savepoint: false }).catch(() => {})
      nested = await atomic(() => Author.objects.count()).then(() => 'ran', (error: Error) => error)
      bulk = await Author.objects.bulkCreate([new Author({ name: 'bulk' })]).then(() => 'ran', (error: Error) => error)
    })
    expect(nested).toBeInstanceOf(TransactionManagementError)
    expect(bulk).toBeInstanceOf(TransactionManagementError)
    expect(await Author.objects.filter({ name: 'bulk' }).count()).toBe(0)
  })

  test("a failed save() or update() dooms the enclosing block, as Django's mark_for_rollback_on_error", async () => {
    const existing = await Author.objects.create({ name: 'existing' })
    let refused: unknown
    await atomic(async () => {
      await Author.objects.create({ name: 'lost' })
      // A duplicate key: the INSERT fails in the database.
      const duplicate = await new Author({ pk: existing.pk, name: 'twin' }).save({ forceInsert: true }).then(() => undefined, (error: Error) => error)
      expect(duplicate).toBeInstanceOf(IntegrityError)
      refused = await Author.objects.count().then(() => undefined, (error: Error) => error)
    })
    expect(refused).toBeInstanceOf(TransactionManagementError)
    expect(await Author.objects.filter({ name: 'lost' }).count()).toBe(0)

    await atomic(async () => {
      await Author.objects.create({ name: 'lost too' })
      // A value the column cannot hold: refused before it is sent, with the same effect.
      await Author.objects.filter({ name: 'existing' }).update({ name: 'x'.repeat(101) }).catch(() => {})
      refused = await Author.objects.create({ name: 'after' }).then(() => undefined, (error: Error) => error)
    })
    expect(refused).toBeInstanceOf(TransactionManagementError)
    expect((await Author.objects.all()).map((a) => a.name)).toEqual(['existing'])
  })

  test('a failed save() inside a nested block undoes that block only; outside atomic() nothing is doomed', async () => {
    const existing = await Author.objects.create({ name: 'existing' })
    await atomic(async () => {
      await Author.objects.create({ name: 'outer' })
      await atomic(async () => {
        await Author.objects.create({ name: 'inner' })
        await new Author({ pk: existing.pk, name: 'twin' }).save({ forceInsert: true }).catch(() => {})
      })
      await Author.objects.create({ name: 'after' })
    })
    expect((await Author.objects.all()).map((a) => a.name).sort()).toEqual(['after', 'existing', 'outer'])
    await expect(new Author({ pk: existing.pk, name: 'twin' }).save({ forceInsert: true })).rejects.toThrow(IntegrityError)
    expect(await Author.objects.count()).toBe(3)
  })

  test('a doomed block inside a savepoint rolls back to the savepoint only', async () => {
    await atomic(async () => {
      await Author.objects.create({ name: 'outer' })
      await atomic(async () => {
        await Author.objects.create({ name: 'inner' })
        await atomic(async () => { throw new Error('inner failure') }, { savepoint: false }).catch(() => {})
      })
      await Author.objects.create({ name: 'after' })
    })
    expect((await Author.objects.all()).map((a) => a.name).sort()).toEqual(['after', 'outer'])
  })

  test("a task begun in atomic() that reads after the block ended is refused, never let into another context's transaction", async () => {
    let release!: () => void
    const gate = new Promise<void>((resolve) => { release = resolve })
    let straggler!: Promise<string>
    await atomic(async () => {
      straggler = (async () => { await gate; return (await Author.objects.all()).map((a) => a.name).join(',') })()
        .then((names) => `read ${names}`, (error: Error) => `refused: ${error.message}`)
    })
    let seen = ''
    await atomic(async () => {
      await Author.objects.create({ name: 'uncommitted' })
      release()
      seen = await straggler
      throw new Error('roll back')
    }).catch(() => {})
    expect(seen).toMatch(/^refused: /)
    expect(await Author.objects.filter({ name: 'uncommitted' }).count()).toBe(0)
  })
})
