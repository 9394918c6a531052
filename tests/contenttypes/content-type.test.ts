/**
 * ContentType, its cached manager, creation on migrate, stale removal, renames, the E005 check
 * and the shortcut view, on every dialect, against Django's behaviour (spec §1, §2, §11–§13).
 *
 * App labels of this file: cttest, ct_extra, ctgone (never installed), ctlong.
 */
import { afterAll, describe, expect, test, vi } from 'vitest'
import { Hono } from 'hono'
import {
  Apps, CASCADE, IntegrityError, Manager, Model, captureQueries, closeAll, connections, defineApp,
  fields as f, migrate, runChecks, setup, type AppConfig, type CapturedQuery,
} from '../../src/db/index.ts'
import {
  ContentType, ContentTypeManager, Http404, RenameContentType, contentTypesApp, createContentTypes,
  removeStaleContentTypes, renameContentType, shortcut, shortcutHandler,
} from '../../src/contenttypes/index.ts'
import { describeEachDialect } from '../support/dialects.ts'

// ---------------------------------------------------------------------------------------------
// Models
// ---------------------------------------------------------------------------------------------

class Author extends Model.define('cttest.Author', {
  name: f.char({ maxLength: 100 }),
}) {
  declare static readonly objects: Manager<Author>
  getAbsoluteUrl(): string {
    return `/authors/${this.id}/`
  }
}

/** A proxy of Author: its own content type only with forConcreteModel: false. */
class SpecialAuthor extends Author.define('cttest.SpecialAuthor', {}, { proxy: true }) {}

class PublishedManager extends Manager<Article> {
  override getQueryset() {
    return super.getQueryset().filter({ published: true })
  }
}

/** The default manager hides unpublished articles; the base manager does not. */
class Article extends Model.define('cttest.Article', {
  title: f.char({ maxLength: 100 }),
  published: f.boolean({ default: false }),
}) {
  static override objects = new PublishedManager()
}

/** getAbsoluteUrl() returns whatever `url` holds: relative, http(s):// or //. */
class Link extends Model.define('cttest.Link', {
  url: f.char({ maxLength: 200 }),
}) {
  declare static readonly objects: Manager<Link>
  getAbsoluteUrl(): string {
    return this.url
  }
}

class FooWithoutUrl extends Model.define('cttest.FooWithoutUrl', {
  name: f.char({ maxLength: 30 }),
}) {
  declare static readonly objects: Manager<FooWithoutUrl>
}

class FooWithBrokenUrl extends Model.define('cttest.FooWithBrokenUrl', {
  name: f.char({ maxLength: 30 }),
}) {
  declare static readonly objects: Manager<FooWithBrokenUrl>
  getAbsoluteUrl(): string {
    throw new TypeError('broken getAbsoluteUrl')
  }
}

/** Depends on a content type (CASCADE): deleted with it. */
class Post extends Model.define('cttest.Post', {
  title: f.char({ maxLength: 100 }),
  contentType: f.foreignKey(() => ContentType, { onDelete: CASCADE, relatedName: 'cttestPosts' }),
}) {
  declare static readonly objects: Manager<Post>
}

/** Depends on a Post: deleted by the cascade from the content type. */
class Comment extends Model.define('cttest.Comment', {
  text: f.char({ maxLength: 100 }),
  post: f.foreignKey(() => Post, { onDelete: CASCADE, relatedName: 'comments' }),
}) {
  declare static readonly objects: Manager<Comment>
}

const cttestApp = defineApp({
  label: 'cttest',
  verboseName: 'Content Type Tests',
  models: [Author, SpecialAuthor, Article, Link, FooWithoutUrl, FooWithBrokenUrl, Post, Comment],
})

/** An app without a verbose name: Django's default is label.title(), 'Ct_Extra'. */
class Widget extends Model.define('ct_extra.Widget', {
  name: f.char({ maxLength: 30 }),
}) {
  declare static readonly objects: Manager<Widget>
}

const extraApp = defineApp({ label: 'ct_extra', models: [Widget] })

const MY_LABELS = ['cttest', 'ct_extra', 'ctgone']
const MY_APPS: AppConfig[] = [cttestApp, extraApp]

// ---------------------------------------------------------------------------------------------
// Each suite runs once per dialect on a private database (tests/support/dialects.ts), with an
// in-memory SQLite 'other' alias for `using` tests.
// ---------------------------------------------------------------------------------------------

const INSTALLED: AppConfig[] = [contentTypesApp, ...MY_APPS]
const WITH_OTHER = { extraDatabases: { other: 'sqlite::memory:' } }

/** The statements fn sends (optionally only those on one alias). */
async function queriesOf(fn: () => unknown, using?: string): Promise<CapturedQuery[]> {
  const { queries } = await captureQueries(async () => { await fn() }, using === undefined ? {} : { using })
  return queries
}

/** The rejection of a promise (fails when it resolves). */
async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise
  } catch (error) {
    return error as Error
  }
  throw new Error('expected a rejection, but the promise resolved')
}

/** This file's content types as 'app_label.model', sorted. */
async function myContentTypes(): Promise<string[]> {
  const rows = await ContentType.objects.filter({ appLabel__in: MY_LABELS }).orderBy('appLabel', 'model')
  return rows.map((ct) => `${ct.appLabel}.${ct.model}`).sort()
}

const ALL_MY_TYPES = [
  'ct_extra.widget',
  'cttest.article', 'cttest.author', 'cttest.comment', 'cttest.foowithbrokenurl', 'cttest.foowithouturl',
  'cttest.link', 'cttest.post', 'cttest.specialauthor',
].sort()

// ---------------------------------------------------------------------------------------------

describeEachDialect('ContentType model', INSTALLED, () => {
  test("the table is django_content_type with id, app_label and model", async () => {
    expect(ContentType._meta.dbTable).toBe('django_content_type')
    expect(ContentType._meta.label).toBe('contenttypes.ContentType')
    const columns = await connections.get('default').columnNames('django_content_type')
    expect([...columns].sort()).toEqual(['app_label', 'id', 'model'])
    expect(ContentType._meta.getField('appLabel').column).toBe('app_label')
    expect(ContentType._meta.getField('model').column).toBe('model')
    expect(ContentType._meta.verboseName).toBe('content type')
    expect(ContentType._meta.verboseNamePlural).toBe('content types')
    expect(ContentType._meta.ordering).toEqual([])
  })

  test('(app_label, model) is unique', async () => {
    await ContentType.objects.create({ appLabel: 'cttest', model: 'dupe' })
    // Same model name in another app is fine.
    await ContentType.objects.create({ appLabel: 'ct_extra', model: 'dupe' })
    const error = await rejectionOf(ContentType.objects.create({ appLabel: 'cttest', model: 'dupe' }))
    expect(error).toBeInstanceOf(IntegrityError)
    expect(await ContentType.objects.filter({ model: 'dupe', appLabel__in: MY_LABELS }).count()).toBe(2)
  })

  test('name, appLabeledName and toString of an installed model', async () => {
    const ct = await ContentType.objects.getForModel(Author)
    expect(ct.appLabel).toBe('cttest')
    expect(ct.model).toBe('author')
    expect(ct.name).toBe('author')
    expect(ct.appLabeledName).toBe('Content Type Tests | author')
    expect(String(ct)).toBe('Content Type Tests | author')
    expect(`${ct}`).toBe('Content Type Tests | author')
    const foo = await ContentType.objects.getForModel(FooWithoutUrl)
    expect(foo.model).toBe('foowithouturl')
    expect(foo.name).toBe('foo without url')
    expect(foo.appLabeledName).toBe('Content Type Tests | foo without url')
  })

  test("an app without a verbose name uses Django's label.title()", async () => {
    // Django: AppConfig.verbose_name defaults to label.title() -> 'Ct_Extra' (spec §1:
    // "Contenttypes_Tests | site").
    const ct = await ContentType.objects.getForModel(Widget)
    expect(ct.appLabeledName).toBe('Ct_Extra | widget')
  })

  test('a stale row: modelClass() is null (never throws), name and appLabeledName are the raw model', async () => {
    const stale = await ContentType.objects.create({ appLabel: 'cttest', model: 'ghost' })
    expect(stale.modelClass()).toBeNull()
    expect(stale.name).toBe('ghost')
    expect(stale.appLabeledName).toBe('ghost')
    expect(String(stale)).toBe('ghost')
    // An uninstalled app, and a name that exists in another app, still give null.
    const gone = await ContentType.objects.create({ appLabel: 'ctgone', model: 'author' })
    expect(gone.modelClass()).toBeNull()
    const elsewhere = await ContentType.objects.create({ appLabel: 'ct_extra', model: 'author' })
    expect(elsewhere.modelClass()).toBeNull()
  })

  test('modelClass() resolves installed models, proxies included', async () => {
    expect((await ContentType.objects.getForModel(Author)).modelClass()).toBe(Author)
    expect((await ContentType.objects.getForModel(SpecialAuthor, { forConcreteModel: false })).modelClass()).toBe(SpecialAuthor)
    expect((await ContentType.objects.getForModel(ContentType)).modelClass()).toBe(ContentType)
  })

  test('naturalKey() is [app_label, model]', async () => {
    const ct = await ContentType.objects.getForModel(Article)
    expect(ct.naturalKey()).toEqual(['cttest', 'article'])
  })

  test('getObjectForThisType goes through the base manager', async () => {
    const hidden = await Article.objects.create({ title: 'draft', published: false })
    const shown = await Article.objects.create({ title: 'final', published: true })
    // The default manager hides the draft…
    expect(await Article.objects.filter({ pk: hidden.id }).exists()).toBe(false)
    const ct = await ContentType.objects.getForModel(Article)
    // …the content type does not.
    const found = await ct.getObjectForThisType({ pk: hidden.id })
    expect(found).toBeInstanceOf(Article)
    expect((found as Article).title).toBe('draft')
    expect(((await ct.getObjectForThisType({ title: 'final' })) as Article).id).toBe(shown.id)
    const missing = await rejectionOf(ct.getObjectForThisType({ pk: 999_999 }))
    expect(missing).toBeInstanceOf(Article.DoesNotExist)
    await Article.objects.create({ title: 'final', published: false })
    const multiple = await rejectionOf(ct.getObjectForThisType({ title: 'final' }))
    expect(multiple).toBeInstanceOf(Article.MultipleObjectsReturned)
  })

  test('getObjectForThisType({ using }) reads that database', async () => {
    const onOther = await Author.objects.using('other').create({ name: 'only on other' })
    const ct = await ContentType.objects.getForModel(Author)
    const found = await ct.getObjectForThisType({ pk: onOther.id }, { using: 'other' })
    expect((found as Author).name).toBe('only on other')
    expect(found._state.db).toBe('other')
    const error = await rejectionOf(ct.getObjectForThisType({ name: 'only on other' }, { using: 'default' }))
    expect(error).toBeInstanceOf(Author.DoesNotExist)
  })

  test('getAllObjectsForThisType filters through the base manager', async () => {
    await Article.objects.create({ title: 'a', published: false })
    await Article.objects.create({ title: 'b', published: true })
    await Article.objects.create({ title: 'b', published: false })
    const ct = await ContentType.objects.getForModel(Article)
    const all = await ct.getAllObjectsForThisType()
    expect(all.map((a) => (a as Article).title).sort()).toEqual(['a', 'b', 'b'])
    const bs = await ct.getAllObjectsForThisType({ title: 'b' })
    expect(bs).toHaveLength(2)
    for (const a of bs) expect(a).toBeInstanceOf(Article)
    expect(await ct.getAllObjectsForThisType({ published: false }).count()).toBe(2)
  })
}, WITH_OTHER)

describeEachDialect('ContentTypeManager', INSTALLED, () => {
  test('getForModel creates a missing row, and returns the same row afterwards', async () => {
    expect(await ContentType.objects.filter({ appLabel: 'cttest', model: 'author' }).exists()).toBe(false)
    const ct = await ContentType.objects.getForModel(Author)
    expect(ct.id).toEqual(expect.any(Number))
    expect(ct.appLabel).toBe('cttest')
    expect(ct.model).toBe('author')
    const row = await ContentType.objects.get({ appLabel: 'cttest', model: 'author' })
    expect(row.id).toBe(ct.id)
    ContentType.objects.clearCache()
    expect((await ContentType.objects.getForModel(Author)).id).toBe(ct.id)
    expect(await ContentType.objects.filter({ appLabel: 'cttest', model: 'author' }).count()).toBe(1)
  })

  test('first getForModel of an existing type is 1 query, a warm one 0', async () => {
    const existing = await ContentType.objects.create({ appLabel: 'cttest', model: 'author' })
    ContentType.objects.clearCache()
    const cold = await captureQueries(() => ContentType.objects.getForModel(Author))
    expect(cold.queries).toHaveLength(1)
    expect(cold.result.id).toBe(existing.id)
    const warm = await captureQueries(() => ContentType.objects.getForModel(Author))
    expect(warm.queries).toHaveLength(0)
    expect(warm.result).toBe(cold.result)
  })

  test('getForModel of an instance', async () => {
    const author = await Author.objects.create({ name: 'Le Guin' })
    const byInstance = await ContentType.objects.getForModel(author)
    const byClass = await ContentType.objects.getForModel(Author)
    expect(byInstance.id).toBe(byClass.id)
    expect(byInstance.model).toBe('author')
  })

  test("a proxy gives its concrete model's type, or its own with forConcreteModel: false", async () => {
    const concrete = await ContentType.objects.getForModel(Author)
    const viaProxy = await ContentType.objects.getForModel(SpecialAuthor)
    expect(viaProxy.id).toBe(concrete.id)
    expect(viaProxy.model).toBe('author')
    const own = await ContentType.objects.getForModel(SpecialAuthor, { forConcreteModel: false })
    expect(own.model).toBe('specialauthor')
    expect(own.id).not.toBe(concrete.id)
    expect(own.modelClass()).toBe(SpecialAuthor)
    // forConcreteModel: false on a concrete model is its own type.
    expect((await ContentType.objects.getForModel(Author, { forConcreteModel: false })).id).toBe(concrete.id)
    // An instance of the proxy behaves like the proxy class.
    const special = await SpecialAuthor.objects.create({ name: 'Proxy' })
    expect((await ContentType.objects.getForModel(special)).id).toBe(concrete.id)
    expect((await ContentType.objects.getForModel(special, { forConcreteModel: false })).id).toBe(own.id)
  })

  test('getForModels returns a Map keyed by the classes passed', async () => {
    const result = await ContentType.objects.getForModels([Author, SpecialAuthor, Link])
    expect(result).toBeInstanceOf(Map)
    expect([...result.keys()]).toHaveLength(3)
    expect(result.get(Author)!.model).toBe('author')
    expect(result.get(SpecialAuthor)!.model).toBe('author')
    expect(result.get(SpecialAuthor)!.id).toBe(result.get(Author)!.id)
    expect(result.get(Link)!.model).toBe('link')
    const own = await ContentType.objects.getForModels([Author, SpecialAuthor], { forConcreteModels: false })
    expect(own.get(Author)!.model).toBe('author')
    expect(own.get(SpecialAuthor)!.model).toBe('specialauthor')
    expect(own.get(SpecialAuthor)!.id).not.toBe(own.get(Author)!.id)
    expect(await ContentType.objects.getForModels([])).toEqual(new Map())
  })

  test('getForModels: all types exist, cold cache -> 1 query', async () => {
    await migrate()
    ContentType.objects.clearCache()
    const { result, queries } = await captureQueries(() => ContentType.objects.getForModels([ContentType, Link, SpecialAuthor, Author, Widget]))
    expect(queries).toHaveLength(1)
    expect(result.get(ContentType)!.model).toBe('contenttype')
    expect(result.get(Widget)!.appLabel).toBe('ct_extra')
    expect(result.get(SpecialAuthor)).toBe(result.get(Author))
  })

  test('getForIds: one query for the ids not cached, none when all are; unknown ids are left out', async () => {
    await migrate()
    const link = await ContentType.objects.getForModel(Link)
    const author = await ContentType.objects.getForModel(Author)
    ContentType.objects.clearCache()
    await ContentType.objects.getForId(link.id)
    const cold = await captureQueries(() => ContentType.objects.getForIds([link.id, author.id, 999_999]))
    expect(cold.queries).toHaveLength(1)
    expect([...cold.result.keys()]).toEqual([link.id, author.id])
    expect(cold.result.get(author.id)!.model).toBe('author')
    const warm = await captureQueries(() => ContentType.objects.getForIds([String(link.id), author.id]))
    expect(warm.queries).toHaveLength(0)
    expect(warm.result.get(String(link.id))).toBe(cold.result.get(link.id))
  })

  test('a type read again under a new id replaces the cached one for getForModel and peekForModel too', async () => {
    await migrate()
    const old = await ContentType.objects.getForModel(Link)
    expect(ContentType.objects.peekForModel(Link)).toBe(old)
    await ContentType.objects.filter({ pk: old.pk }).rawDelete()
    const renewed = await ContentType.objects.create({ appLabel: old.appLabel, model: old.model })
    expect(await ContentType.objects.getForId(renewed.id)).not.toBe(old)
    expect((await ContentType.objects.getForModel(Link)).id).toBe(renewed.id)
    expect(ContentType.objects.peekForModel(Link)!.id).toBe(renewed.id)
  })

  test('getForModels on an emptied table: 1 SELECT + 1 INSERT per missing type (proxy and concrete share one)', async () => {
    await migrate()
    await ContentType.objects.filter({ appLabel__in: MY_LABELS }).delete()
    ContentType.objects.clearCache()
    const { result, queries } = await captureQueries(() => ContentType.objects.getForModels([Link, SpecialAuthor, Author]))
    expect(queries).toHaveLength(3)
    expect(queries[0]!.sql).toMatch(/^select/i)
    expect(queries.slice(1).every((q) => /^insert/i.test(q.sql))).toBe(true)
    expect(result.get(SpecialAuthor)!.id).toBe(result.get(Author)!.id)
    expect(await myContentTypes()).toEqual(['cttest.author', 'cttest.link'])
  })

  test('getForModels: partial cache -> 1 query, full cache -> 0', async () => {
    await migrate()
    ContentType.objects.clearCache()
    await ContentType.objects.getForModel(Author)
    expect(await queriesOf(() => ContentType.objects.getForModels([Author, SpecialAuthor, Link]))).toHaveLength(1)
    expect(await queriesOf(() => ContentType.objects.getForModels([Author, SpecialAuthor, Link]))).toHaveLength(0)
  })

  test('getForModels matches rows on app label and model name together', async () => {
    // A row with the same model name in another app must not be taken for cttest.author.
    const decoy = await ContentType.objects.create({ appLabel: 'ct_extra', model: 'author' })
    const decoy2 = await ContentType.objects.create({ appLabel: 'cttest', model: 'widget' })
    ContentType.objects.clearCache()
    const result = await ContentType.objects.getForModels([Author, Widget])
    expect(result.get(Author)!.appLabel).toBe('cttest')
    expect(result.get(Author)!.id).not.toBe(decoy.id)
    expect(result.get(Widget)!.appLabel).toBe('ct_extra')
    expect(result.get(Widget)!.id).not.toBe(decoy2.id)
  })

  test('getForId: cached, never creates, DoesNotExist for an unknown id', async () => {
    const created = await ContentType.objects.create({ appLabel: 'cttest', model: 'author' })
    ContentType.objects.clearCache()
    const first = await captureQueries(() => ContentType.objects.getForId(created.id))
    expect(first.queries).toHaveLength(1)
    expect(first.result.model).toBe('author')
    const second = await captureQueries(() => ContentType.objects.getForId(created.id))
    expect(second.queries).toHaveLength(0)
    expect(second.result).toBe(first.result)
    const before = await ContentType.objects.count()
    const error = await rejectionOf(ContentType.objects.getForId(999_999))
    expect(error).toBeInstanceOf(ContentType.DoesNotExist)
    expect(await ContentType.objects.count()).toBe(before)
    // Nothing was cached for the unknown id: it queries again.
    expect(await queriesOf(() => ContentType.objects.getForId(999_999).catch(() => undefined))).toHaveLength(1)
  })

  test('getForId works for a stale type', async () => {
    const stale = await ContentType.objects.create({ appLabel: 'cttest', model: 'ghost' })
    ContentType.objects.clearCache()
    const ct = await ContentType.objects.getForId(stale.id)
    expect(ct.model).toBe('ghost')
    expect(ct.modelClass()).toBeNull()
  })

  test('getByNaturalKey: cached, never creates', async () => {
    const created = await ContentType.objects.create({ appLabel: 'cttest', model: 'link' })
    ContentType.objects.clearCache()
    const first = await captureQueries(() => ContentType.objects.getByNaturalKey('cttest', 'link'))
    expect(first.queries).toHaveLength(1)
    expect(first.result.id).toBe(created.id)
    expect(await queriesOf(() => ContentType.objects.getByNaturalKey('cttest', 'link'))).toHaveLength(0)
    const error = await rejectionOf(ContentType.objects.getByNaturalKey('cttest', 'author'))
    expect(error).toBeInstanceOf(ContentType.DoesNotExist)
    expect(await ContentType.objects.filter({ appLabel: 'cttest', model: 'author' }).exists()).toBe(false)
  })

  test('after getForModel, lookups by id and natural key are free', async () => {
    await ContentType.objects.create({ appLabel: 'cttest', model: 'article' })
    ContentType.objects.clearCache()
    const ct = await ContentType.objects.getForModel(Article)
    expect(await queriesOf(() => ContentType.objects.getForId(ct.id))).toHaveLength(0)
    expect(await queriesOf(() => ContentType.objects.getByNaturalKey('cttest', 'article'))).toHaveLength(0)
    expect(await ContentType.objects.getForId(ct.id)).toBe(ct)
    expect(await ContentType.objects.getByNaturalKey('cttest', 'article')).toBe(ct)
  })

  test('clearCache empties the cache', async () => {
    await ContentType.objects.getForModel(Author)
    expect(await queriesOf(() => ContentType.objects.getForModel(Author))).toHaveLength(0)
    ContentType.objects.clearCache()
    expect(await queriesOf(() => ContentType.objects.getForModel(Author))).toHaveLength(1)
  })

  test('dbManager(alias) copies share the cache; each alias has its own entries', async () => {
    const manager = ContentType.objects.dbManager('default')
    expect(manager).toBeInstanceOf(ContentTypeManager)
    const ct = await manager.getForModel(Author)
    expect(await queriesOf(() => ContentType.objects.getForModel(Author))).toHaveLength(0)
    expect(await queriesOf(() => manager.getForId(ct.id))).toHaveLength(0)
    // 'other' is another database: its own rows, its own cache entries.
    const onOther = await captureQueries(() => ContentType.objects.dbManager('other').getForModel(Author))
    expect(onOther.queries.length).toBeGreaterThanOrEqual(1)
    expect(onOther.queries.every((q) => q.alias === 'other')).toBe(true)
    expect(await ContentType.objects.using('other').filter({ appLabel: 'cttest', model: 'author' }).count()).toBe(1)
    expect(await queriesOf(() => ContentType.objects.dbManager('other').getForModel(Author))).toHaveLength(0)
    ContentType.objects.dbManager('other').clearCache()
    expect(await queriesOf(() => ContentType.objects.getForModel(Author))).toHaveLength(1)
  })

  test('a new ContentTypeManager does not share the cache', async () => {
    await ContentType.objects.getForModel(Author)
    const fresh = new ContentTypeManager().bind(ContentType, 'freshManagerForTest', false)
    expect(await queriesOf(() => fresh.getForModel(Author))).toHaveLength(1)
  })

  test('concurrent getForModel calls on a cold cache end with one row', async () => {
    expect(await ContentType.objects.filter({ appLabel: 'ct_extra', model: 'widget' }).exists()).toBe(false)
    const results = await Promise.all(Array.from({ length: 5 }, () => ContentType.objects.getForModel(Widget)))
    const ids = new Set(results.map((ct) => ct.id))
    expect(ids.size).toBe(1)
    expect(await ContentType.objects.filter({ appLabel: 'ct_extra', model: 'widget' }).count()).toBe(1)
  })
}, WITH_OTHER)

describeEachDialect('creating content types on migrate', INSTALLED, () => {
  test('migrate() creates the content type of every installed model, proxies included; a second migrate creates none', async () => {
    expect(await myContentTypes()).toEqual([])
    await migrate()
    expect(await myContentTypes()).toEqual(ALL_MY_TYPES)
    expect(await ContentType.objects.filter({ appLabel: 'contenttypes', model: 'contenttype' }).count()).toBe(1)
    const ids = await ContentType.objects.filter({ appLabel__in: MY_LABELS }).orderBy('id').valuesList('id', { flat: true })
    await migrate()
    expect(await myContentTypes()).toEqual(ALL_MY_TYPES)
    expect(await ContentType.objects.filter({ appLabel__in: MY_LABELS }).orderBy('id').valuesList('id', { flat: true })).toEqual(ids)
  })

  test('migrate() never deletes or renames: stale rows stay', async () => {
    await ContentType.objects.create({ appLabel: 'cttest', model: 'ghost' })
    await migrate()
    expect(await myContentTypes()).toEqual([...ALL_MY_TYPES, 'cttest.ghost'].sort())
  })

  test("verbosity 2 logs \"Adding content type 'app | model'\" for each created type", async () => {
    await ContentType.objects.create({ appLabel: 'cttest', model: 'author' })
    const written: string[] = []
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: any) => {
      written.push(String(chunk))
      return true
    })
    try {
      await migrate({ verbosity: 2 })
    } finally {
      spy.mockRestore()
    }
    const lines = written.join('').split('\n').filter((l) => l.startsWith('Adding content type') && /'(cttest|ct_extra) \|/.test(l))
    expect(lines.sort()).toEqual(ALL_MY_TYPES.filter((t) => t !== 'cttest.author').map((t) => {
      const [app, model] = t.split('.')
      return `Adding content type '${app} | ${model}'`
    }).sort())
    // Nothing new: nothing logged.
    const again: string[] = []
    const spy2 = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: any) => {
      again.push(String(chunk))
      return true
    })
    try {
      await migrate({ verbosity: 2 })
    } finally {
      spy2.mockRestore()
    }
    expect(again.join('')).not.toMatch(/Adding content type '(cttest|ct_extra) \|/)
  })

  test('createContentTypes for one app: creates what is missing, logs through log at verbosity 2, quiet below', async () => {
    await ContentType.objects.create({ appLabel: 'cttest', model: 'link' })
    const lines: string[] = []
    const created = await createContentTypes({ appConfig: cttestApp, using: 'default', verbosity: 2, log: (l) => lines.push(l) })
    expect(created.map((ct) => ct.model).sort()).toEqual(
      ['article', 'author', 'comment', 'foowithbrokenurl', 'foowithouturl', 'post', 'specialauthor'])
    expect(lines.sort()).toEqual(created.map((ct) => `Adding content type 'cttest | ${ct.model}'`).sort())
    const quiet: string[] = []
    await ContentType.objects.filter({ appLabel: 'ct_extra' }).delete()
    await createContentTypes({ appConfig: extraApp, using: 'default', verbosity: 1, log: (l) => quiet.push(l) })
    expect(quiet).toEqual([])
    expect(await myContentTypes()).toEqual(ALL_MY_TYPES)
  })

  test('createContentTypes does nothing when the given registry lacks the contenttypes app', async () => {
    const created = await createContentTypes({ appConfig: cttestApp, using: 'default', apps: new Apps(), verbosity: 2, log: () => {} })
    expect(created).toEqual([])
    expect(await myContentTypes()).toEqual([])
  })
}, WITH_OTHER)

describeEachDialect('removeStaleContentTypes', INSTALLED, () => {
  const HEADER =
    'Some content types in your database are stale and can be deleted.\n' +
    'Any objects that depend on these content types will also be deleted.\n' +
    'The content types and dependent objects that would be deleted are:\n\n'
  const FOOTER =
    '\n\nThis list doesn\'t include any cascade deletions to data outside of Django\n' +
    'models (uncommon).\n\n' +
    'Are you sure you want to delete these content types?\n' +
    "If you're unsure, answer 'no'.\n"
  const QUESTION = "Type 'yes' to continue, or 'no' to cancel: "

  /** A stale cttest.ghost type with a Post (and a Comment on it) depending on it. */
  async function staleWithDependents() {
    const ghost = await ContentType.objects.create({ appLabel: 'cttest', model: 'ghost' })
    const post = await Post.objects.create({ title: 'about a ghost', contentType: ghost })
    const comment = await Comment.objects.create({ text: 'boo', post })
    return { ghost, post, comment }
  }

  test('non-interactive: deletes the stale types of installed apps with their dependent objects', async () => {
    await migrate()
    const { ghost } = await staleWithDependents()
    const live = await ContentType.objects.getForModel(Author)
    const livePost = await Post.objects.create({ title: 'about authors', contentType: live })
    await ContentType.objects.create({ appLabel: 'ctgone', model: 'thing' })
    const out: string[] = []
    await removeStaleContentTypes({ interactive: false, write: (t) => out.push(t) })
    expect(await ContentType.objects.filter({ pk: ghost.id }).exists()).toBe(false)
    expect(await Post.objects.filter({ title: 'about a ghost' }).exists()).toBe(false)
    expect(await Comment.objects.count()).toBe(0)
    // Live types and their objects stay; so do types of apps that are not installed.
    expect(await ContentType.objects.filter({ pk: live.id }).exists()).toBe(true)
    expect(await Post.objects.filter({ pk: livePost.id }).exists()).toBe(true)
    expect(await myContentTypes()).toEqual([...ALL_MY_TYPES, 'ctgone.thing'].sort())
    expect(out.join('')).toBe('')
  })

  test('includeStaleApps also deletes the types of uninstalled apps', async () => {
    await migrate()
    await ContentType.objects.create({ appLabel: 'ctgone', model: 'thing' })
    await ContentType.objects.create({ appLabel: 'cttest', model: 'ghost' })
    await removeStaleContentTypes({ interactive: false, includeStaleApps: true, write: () => {} })
    expect(await myContentTypes()).toEqual(ALL_MY_TYPES)
  })

  test("interactive: answering 'no' deletes nothing; the listing is Django's", async () => {
    const { ghost, post, comment } = await staleWithDependents()
    const out: string[] = []
    const questions: string[] = []
    await removeStaleContentTypes({
      write: (t) => out.push(t),
      prompt: async (q) => { questions.push(q); return 'no' },
    })
    expect(questions).toEqual([QUESTION])
    expect(out.join('')).toBe(HEADER +
      '    - Content type for cttest.ghost\n' +
      '    - 1 cttest.Post object(s)\n' +
      '    - 1 cttest.Comment object(s)' +
      FOOTER)
    expect(await ContentType.objects.filter({ pk: ghost.id }).exists()).toBe(true)
    expect(await Post.objects.filter({ pk: post.id }).exists()).toBe(true)
    expect(await Comment.objects.filter({ pk: comment.id }).exists()).toBe(true)
  })

  test("interactive: answering 'yes' deletes", async () => {
    const { ghost } = await staleWithDependents()
    const out: string[] = []
    await removeStaleContentTypes({ write: (t) => out.push(t), prompt: async () => 'yes' })
    expect(await ContentType.objects.filter({ pk: ghost.id }).exists()).toBe(false)
    expect(await Post.objects.count()).toBe(0)
    expect(await Comment.objects.count()).toBe(0)
  })

  test("only exactly 'yes' deletes", async () => {
    const { ghost } = await staleWithDependents()
    for (const answer of ['y', 'YES', 'Yes', '']) {
      await removeStaleContentTypes({ write: () => {}, prompt: async () => answer })
      expect(await ContentType.objects.filter({ pk: ghost.id }).exists()).toBe(true)
    }
  })

  test('a stale type nothing depends on lists only the content type line', async () => {
    await ContentType.objects.create({ appLabel: 'cttest', model: 'lonely' })
    const out: string[] = []
    await removeStaleContentTypes({ write: (t) => out.push(t), prompt: async () => 'no' })
    expect(out.join('')).toBe(HEADER + '    - Content type for cttest.lonely' + FOOTER)
  })

  test('several stale types: each is listed followed by its own dependent objects (as Django does)', async () => {
    const ghost = await ContentType.objects.create({ appLabel: 'cttest', model: 'ghost' })
    const phantom = await ContentType.objects.create({ appLabel: 'cttest', model: 'phantom' })
    await Post.objects.create({ title: 'g1', contentType: ghost })
    await Post.objects.create({ title: 'p1', contentType: phantom })
    await Post.objects.create({ title: 'p2', contentType: phantom })
    const out: string[] = []
    await removeStaleContentTypes({ write: (t) => out.push(t), prompt: async () => 'no' })
    // Django runs one collector per stale content type and appends its objects right after it.
    expect(out.join('')).toBe(HEADER +
      '    - Content type for cttest.ghost\n' +
      '    - 1 cttest.Post object(s)\n' +
      '    - Content type for cttest.phantom\n' +
      '    - 2 cttest.Post object(s)' +
      FOOTER)
  })

  test('one prompt per app label; each answer applies to its own app', async () => {
    await ContentType.objects.create({ appLabel: 'cttest', model: 'ghost' })
    await ContentType.objects.create({ appLabel: 'cttest', model: 'phantom' })
    await ContentType.objects.create({ appLabel: 'ct_extra', model: 'oldwidget' })
    await ContentType.objects.create({ appLabel: 'ctgone', model: 'thing' })
    let written = ''
    const listings: string[] = []
    await removeStaleContentTypes({
      write: (t) => { written += t },
      prompt: async () => {
        listings.push(written)
        const answer = written.includes('cttest.ghost') ? 'yes' : 'no'
        written = ''
        return answer
      },
    })
    expect(listings).toHaveLength(2)
    const cttestListing = listings.find((l) => l.includes('cttest.'))!
    expect(cttestListing).toContain('    - Content type for cttest.ghost\n    - Content type for cttest.phantom\n')
    expect(cttestListing).not.toContain('ct_extra')
    expect(listings.find((l) => l.includes('ct_extra.'))).toContain('    - Content type for ct_extra.oldwidget\n')
    expect(listings.join('')).not.toContain('ctgone')
    expect(await myContentTypes()).toEqual(['ct_extra.oldwidget', 'ctgone.thing'])
  })

  test('verbosity 2 reports each deletion, or that stale types remain', async () => {
    await ContentType.objects.create({ appLabel: 'cttest', model: 'ghost' })
    await ContentType.objects.create({ appLabel: 'cttest', model: 'phantom' })
    const kept: string[] = []
    await removeStaleContentTypes({ verbosity: 2, write: (t) => kept.push(t), prompt: async () => 'no' })
    expect(kept.join('')).toMatch(/answer 'no'\.\nStale content types remain\.\n$/)
    const out: string[] = []
    await removeStaleContentTypes({ verbosity: 2, interactive: false, write: (t) => out.push(t) })
    expect(out.join('')).toBe("Deleting stale content type 'cttest | ghost'\nDeleting stale content type 'cttest | phantom'\n")
    expect(await myContentTypes()).toEqual([])
  })

  test('clears the manager cache (a deleted type is not served from it)', async () => {
    const ghost = await ContentType.objects.create({ appLabel: 'cttest', model: 'ghost' })
    await ContentType.objects.getForId(ghost.id)
    await removeStaleContentTypes({ interactive: false, write: () => {} })
    expect(await rejectionOf(ContentType.objects.getForId(ghost.id))).toBeInstanceOf(ContentType.DoesNotExist)
  })
}, WITH_OTHER)

describeEachDialect('renameContentType / RenameContentType', INSTALLED, () => {
  test('renames in place: the id is kept, so a foreign key to it keeps pointing at it', async () => {
    const old = await ContentType.objects.create({ appLabel: 'cttest', model: 'oldpost' })
    const post = await Post.objects.create({ title: 'kept', contentType: old })
    await ContentType.objects.getByNaturalKey('cttest', 'oldpost') // cached
    expect(await renameContentType('cttest', 'OldPost', 'NewPost')).toBe(true)
    const renamed = await ContentType.objects.get({ pk: old.id })
    expect(renamed.model).toBe('newpost')
    expect(renamed.appLabel).toBe('cttest')
    const reloaded = await Post.objects.get({ pk: post.id })
    expect(reloaded.contentTypeId).toBe(old.id)
    expect((await reloaded.contentType).model).toBe('newpost')
    // The cache was cleared: the old natural key is gone, the new one resolves.
    expect(await rejectionOf(ContentType.objects.getByNaturalKey('cttest', 'oldpost'))).toBeInstanceOf(ContentType.DoesNotExist)
    expect((await ContentType.objects.getByNaturalKey('cttest', 'newpost')).id).toBe(old.id)
    expect(await ContentType.objects.filter({ appLabel: 'cttest' }).count()).toBe(1)
  })

  test('does nothing when the old type is missing', async () => {
    expect(await renameContentType('cttest', 'missing', 'found')).toBe(false)
    expect(await myContentTypes()).toEqual([])
  })

  test('leaves both rows untouched when a type with the new name exists', async () => {
    const foo = await ContentType.objects.create({ appLabel: 'cttest', model: 'foo' })
    const renamedFoo = await ContentType.objects.create({ appLabel: 'cttest', model: 'renamedfoo' })
    expect(await renameContentType('cttest', 'foo', 'renamedfoo')).toBe(false)
    expect((await ContentType.objects.get({ pk: foo.id })).model).toBe('foo')
    expect((await ContentType.objects.get({ pk: renamedFoo.id })).model).toBe('renamedfoo')
    // The reverse direction too.
    expect(await renameContentType('cttest', 'renamedfoo', 'foo')).toBe(false)
    expect(await myContentTypes()).toEqual(['cttest.foo', 'cttest.renamedfoo'])
    // The connection is still usable afterwards (the failed UPDATE was rolled back).
    expect(await ContentType.objects.filter({ appLabel: 'cttest' }).count()).toBe(2)
  })

  test('RenameContentType.apply renames old -> new, reverse new -> old', async () => {
    const ct = await ContentType.objects.create({ appLabel: 'cttest', model: 'foo' })
    const op = new RenameContentType('cttest', 'foo', 'renamedfoo')
    expect(op.appLabel).toBe('cttest')
    expect(await op.apply({ using: 'default' })).toBe(true)
    expect((await ContentType.objects.get({ pk: ct.id })).model).toBe('renamedfoo')
    expect(await op.reverse({ using: 'default' })).toBe(true)
    expect((await ContentType.objects.get({ pk: ct.id })).model).toBe('foo')
    expect(await myContentTypes()).toEqual(['cttest.foo'])
  })

  test('renames on the database given by using', async () => {
    const onOther = await ContentType.objects.using('other').create({ appLabel: 'cttest', model: 'foo' })
    const onDefault = await ContentType.objects.create({ appLabel: 'cttest', model: 'foo' })
    expect(await renameContentType('cttest', 'foo', 'bar', { using: 'other' })).toBe(true)
    expect((await ContentType.objects.using('other').get({ pk: onOther.id })).model).toBe('bar')
    expect((await ContentType.objects.get({ pk: onDefault.id })).model).toBe('foo')
  })
}, WITH_OTHER)

describeEachDialect('shortcut', INSTALLED, () => {
  async function ctOf(model: typeof Model): Promise<ContentType> {
    return ContentType.objects.getForModel(model)
  }

  test('a relative URL gets the request scheme and host', async () => {
    const author = await Author.objects.create({ name: 'john' })
    const ct = await ctOf(Author)
    expect(await shortcut(ct.id, author.id, { scheme: 'http', host: 'Example.com' })).toBe(`http://Example.com/authors/${author.id}/`)
    expect(await shortcut(String(ct.id), String(author.id), { scheme: 'https', host: 'example.org:8443' })).toBe(`https://example.org:8443/authors/${author.id}/`)
  })

  test('without a host, the relative URL is returned as it is', async () => {
    const author = await Author.objects.create({ name: 'john' })
    const ct = await ctOf(Author)
    expect(await shortcut(ct.id, author.id)).toBe(`/authors/${author.id}/`)
  })

  test('absolute http://, https:// and // URLs are returned unchanged', async () => {
    const ct = await ctOf(Link)
    for (const url of ['http://example.org/a/', 'https://example.org/b/', '//example.org/c/']) {
      const link = await Link.objects.create({ url })
      expect(await shortcut(ct.id, link.id, { scheme: 'http', host: 'testserver' })).toBe(url)
    }
  })

  test('a stale content type: "Content type <id> object has no associated model"', async () => {
    const stale = await ContentType.objects.create({ appLabel: 'cttest', model: 'ghost' })
    const error = await rejectionOf(shortcut(stale.id, 1))
    expect(error).toBeInstanceOf(Http404)
    expect(error.message).toBe(`Content type ${stale.id} object has no associated model`)
  })

  test('an unknown object: "Content type <id> object <objid> doesn’t exist"', async () => {
    const ct = await ctOf(Author)
    const error = await rejectionOf(shortcut(ct.id, 999_999))
    expect(error).toBeInstanceOf(Http404)
    expect(error.message).toBe(`Content type ${ct.id} object 999999 doesn\u2019t exist`)
  })

  test('a non-numeric id for an integer primary key is a 404 too', async () => {
    const ct = await ctOf(Author)
    const error = await rejectionOf(shortcut(ct.id, 'nobody/expects'))
    expect(error).toBeInstanceOf(Http404)
    expect(error.message).toBe(`Content type ${ct.id} object nobody/expects doesn\u2019t exist`)
  })

  test('an unknown content type id is a 404', async () => {
    const error = await rejectionOf(shortcut(999_999, 1))
    expect(error).toBeInstanceOf(Http404)
    expect(error.message).toBe('Content type 999999 object 1 doesn\u2019t exist')
  })

  test('a model without getAbsoluteUrl: "<verbose name> objects don’t have a get_absolute_url() method"', async () => {
    const foo = await FooWithoutUrl.objects.create({ name: 'x' })
    const ct = await ctOf(FooWithoutUrl)
    const error = await rejectionOf(shortcut(ct.id, foo.id))
    expect(error).toBeInstanceOf(Http404)
    expect(error.message).toBe('foo without url objects don\u2019t have a get_absolute_url() method')
  })

  test('an error raised inside getAbsoluteUrl() is not swallowed', async () => {
    const foo = await FooWithBrokenUrl.objects.create({ name: 'x' })
    const ct = await ctOf(FooWithBrokenUrl)
    const error = await rejectionOf(shortcut(ct.id, foo.id))
    expect(error).not.toBeInstanceOf(Http404)
    expect(error.message).toBe('broken getAbsoluteUrl')
  })

  test('the object is read through the base manager', async () => {
    const draft = await Article.objects.create({ title: 'draft', published: false })
    const ct = await ctOf(Article)
    // Article has no getAbsoluteUrl: reaching that message proves the hidden row was found.
    const error = await rejectionOf(shortcut(ct.id, draft.id))
    expect(error.message).toBe('article objects don\u2019t have a get_absolute_url() method')
  })

  describe('shortcutHandler in a Hono app', () => {
    function app(): Hono {
      const hono = new Hono()
      hono.get('/r/:contentTypeId/:objectId', shortcutHandler)
      return hono
    }

    test('302 with Location for an object with a URL', async () => {
      const author = await Author.objects.create({ name: 'john' })
      const ct = await ctOf(Author)
      const response = await app().request(`/r/${ct.id}/${author.id}`, { headers: { host: 'Example.com' } })
      expect(response.status).toBe(302)
      expect(response.headers.get('location')).toBe(`http://Example.com/authors/${author.id}/`)
      const link = await Link.objects.create({ url: 'https://www.djangoproject.com/' })
      const linkCt = await ctOf(Link)
      const absolute = await app().request(`/r/${linkCt.id}/${link.id}`)
      expect(absolute.status).toBe(302)
      expect(absolute.headers.get('location')).toBe('https://www.djangoproject.com/')
    })

    test('without a Host header the request URL host is used', async () => {
      const author = await Author.objects.create({ name: 'john' })
      const ct = await ctOf(Author)
      const response = await app().request(`http://testserver/r/${ct.id}/${author.id}`)
      expect(response.status).toBe(302)
      expect(response.headers.get('location')).toBe(`http://testserver/authors/${author.id}/`)
    })

    test("404 with Django's text", async () => {
      const ct = await ctOf(Author)
      const missing = await app().request(`/r/${ct.id}/424242`)
      expect(missing.status).toBe(404)
      expect(await missing.text()).toBe(`Content type ${ct.id} object 424242 doesn\u2019t exist`)
      const stale = await ContentType.objects.create({ appLabel: 'cttest', model: 'ghost' })
      const staleResponse = await app().request(`/r/${stale.id}/1`)
      expect(staleResponse.status).toBe(404)
      expect(await staleResponse.text()).toBe(`Content type ${stale.id} object has no associated model`)
      const foo = await FooWithoutUrl.objects.create({ name: 'x' })
      const fooCt = await ctOf(FooWithoutUrl)
      const noUrl = await app().request(`/r/${fooCt.id}/${foo.id}`)
      expect(noUrl.status).toBe(404)
      expect(await noUrl.text()).toBe('foo without url objects don\u2019t have a get_absolute_url() method')
    })
  })
}, WITH_OTHER)

// ---------------------------------------------------------------------------------------------
// contenttypes.E005 (no database needed; SQLite in memory for setup()).
// ---------------------------------------------------------------------------------------------

describe('checks: contenttypes.E005', () => {
  const longName = 'L' + 'o'.repeat(99) + 'ng' // 102 characters
  const name101 = 'M' + 'x'.repeat(100) // 101 characters
  const name100 = 'N' + 'y'.repeat(99) // 100 characters
  const TooLong = Model.define(`ctlong.${name101}`, { name: f.char({ maxLength: 10 }) }, { dbTable: 'ctlong_toolong' })
  const JustRight = Model.define(`ctlong.${name100}`, { name: f.char({ maxLength: 10 }) }, { dbTable: 'ctlong_justright' })
  const Longer = Model.define(`ctlong.${longName}`, { name: f.char({ maxLength: 10 }) }, { dbTable: 'ctlong_longer' })
  const longApp = defineApp({ label: 'ctlong', models: [TooLong, JustRight, Longer] })

  afterAll(async () => {
    await closeAll()
  })

  test('a model name longer than 100 characters is an error; 100 is fine', async () => {
    expect(name101).toHaveLength(101)
    await setup({ databases: { default: 'sqlite::memory:' }, apps: [contentTypesApp, longApp] })
    const messages = (await runChecks()).filter((m) => m.id === 'contenttypes.E005')
    expect(messages.map((m) => m.msg)).toEqual([
      'Model names must be at most 100 characters (got 101).',
      'Model names must be at most 100 characters (got 102).',
    ])
    expect(messages[0]!.obj).toBe(TooLong)
    expect(messages[0]!.level).toBe(40)
    expect(String(messages[0])).toBe(`ctlong.${name101}: (contenttypes.E005) Model names must be at most 100 characters (got 101).`)
    expect((await runChecks({ tags: ['models'] })).filter((m) => m.id === 'contenttypes.E005')).toHaveLength(2)
  })

  test('no E005 for the models of this file', async () => {
    await setup({ databases: { default: 'sqlite::memory:' }, apps: [contentTypesApp, ...MY_APPS] })
    expect(await runChecks()).toEqual([])
  })
})
