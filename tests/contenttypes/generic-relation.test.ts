/**
 * GenericRelation and its manager against Django's behaviour (spec §4–§8, §14): the owner's
 * `tags` manager (reads, add/create/getOrCreate/updateOrCreate/set/remove/clear, prefetch cache),
 * lookups through the relation in both directions with the content type condition, aggregates,
 * cascading deletion with signals in one transaction, proxies with forConcreteModel: false,
 * nested and reverse prefetching with Django's query counts, and GenericPrefetch.
 *
 * The data mirrors Django's generic_relations tests: lion and platypus (Animal), eggplant and
 * bacon (Vegetable), quartz (Mineral, no GenericRelation); bacon is "fatty" and "salty", the lion
 * "yellow" and "hairy".
 *
 * App labels of this file: grel (installed), grelcheck (never installed).
 *
 * Each dialect runs on a private database (tests/support/dialects.ts).
 */
import { describe, expect, test } from 'vitest'
import {
  CASCADE, Count, DO_NOTHING, FieldError, Manager, Model, Prefetch, ProtectedError, Q, captureQueries,
  connections, defineApp, fields as f, inAtomicBlock, postDelete, preDelete, prefetchRelatedObjects, type AppConfig, type CapturedQuery,
} from '../../src/db/index.ts'
import {
  ContentType, GenericForeignKey, GenericPrefetch, GenericRelatedObjectManager, GenericRelation, contentTypesApp,
} from '../../src/contenttypes/index.ts'
import { describeEachDialect } from '../support/dialects.ts'
import { counted, errorOf } from '../support/assertions.ts'

// ---------------------------------------------------------------------------------------------
// Models
// ---------------------------------------------------------------------------------------------

class TaggedItem extends Model.define('grel.TaggedItem', {
  tag: f.slug(),
  contentType: f.foreignKey(() => ContentType, { onDelete: CASCADE }),
  objectId: f.positiveInteger(),
  contentObject: new GenericForeignKey(),
}, { ordering: ['tag', 'contentType__model'] }) {
  declare static readonly objects: Manager<TaggedItem>
  /** Filled by GenericPrefetch(…, { toAttr: 'target' }). */
  declare target?: Model | null
  override toString(): string {
    return this.tag
  }
}

class Animal extends Model.define('grel.Animal', {
  commonName: f.char({ maxLength: 150 }),
  latinName: f.char({ maxLength: 150 }),
  tags: new GenericRelation(() => TaggedItem, { relatedQueryName: 'animal' }),
}) {
  declare static readonly objects: Manager<Animal>
  /** Filled by Prefetch('tags', { toAttr: 'tagList' }). */
  declare tagList?: TaggedItem[]
  override toString(): string {
    return this.commonName
  }
}

class Vegetable extends Model.define('grel.Vegetable', {
  name: f.char({ maxLength: 150 }),
  isYucky: f.boolean({ default: true }),
  tags: new GenericRelation(() => TaggedItem),
}) {
  declare static readonly objects: Manager<Vegetable>
  override toString(): string {
    return this.name
  }
}

/** Note the lack of a GenericRelation: its tags are not deleted with it. */
class Mineral extends Model.define('grel.Mineral', {
  name: f.char({ maxLength: 150 }),
  hardness: f.positiveSmallInteger(),
}) {
  declare static readonly objects: Manager<Mineral>
  override toString(): string {
    return this.name
  }
}

/** Another owner whose rows share ids with Animals. */
class Bookmark extends Model.define('grel.Bookmark', {
  url: f.url(),
  tags: new GenericRelation(() => TaggedItem, { relatedQueryName: 'bookmark' }),
}) {
  declare static readonly objects: Manager<Bookmark>
  override toString(): string {
    return this.url
  }
}

// Proxies (Django's ProxyRelatedModelTest).

class ForProxyModelModel extends Model.define('grel.ForProxyModelModel', {
  contentType: f.foreignKey(() => ContentType, { onDelete: CASCADE, relatedName: 'grelForProxy' }),
  objectId: f.positiveInteger(),
  obj: new GenericForeignKey('contentType', 'objectId', { forConcreteModel: false }),
  title: f.char({ maxLength: 255, null: true }),
}) {
  declare static readonly objects: Manager<ForProxyModelModel>
}

class ForConcreteModelModel extends Model.define('grel.ForConcreteModelModel', {
  contentType: f.foreignKey(() => ContentType, { onDelete: CASCADE, relatedName: 'grelForConcrete' }),
  objectId: f.positiveInteger(),
  obj: new GenericForeignKey(),
}) {
  declare static readonly objects: Manager<ForConcreteModelModel>
}

class ConcreteRelatedModel extends Model.define('grel.ConcreteRelatedModel', {
  name: f.char({ maxLength: 50, default: '' }),
  bases: new GenericRelation(() => ForProxyModelModel, { forConcreteModel: false }),
}) {
  declare static readonly objects: Manager<ConcreteRelatedModel>
}

class ProxyRelatedModel extends ConcreteRelatedModel.define('grel.ProxyRelatedModel', {}, { proxy: true }) {
  declare static readonly objects: Manager<ProxyRelatedModel>
}

/** An owner that another model refers to (with DO_NOTHING, so it can still go without loading). */
class Photo extends Model.define('grel.Photo', {
  title: f.char({ maxLength: 50 }),
  tags: new GenericRelation(() => TaggedItem),
}) {}

class PhotoCredit extends Model.define('grel.PhotoCredit', {
  photo: f.foreignKey(() => Photo, { onDelete: DO_NOTHING, null: true }),
  author: f.char({ maxLength: 50 }),
}) {}

/** Owners keyed past 2**53, owning labels by a text object id. */
class Label extends Model.define('grel.Label', {
  text: f.char({ maxLength: 20 }),
  contentType: f.foreignKey(() => ContentType, { onDelete: CASCADE }),
  objectId: f.text(),
  contentObject: new GenericForeignKey(),
}) {}

class BigOwner extends Model.define('grel.BigOwner', {
  id: f.bigInteger({ primaryKey: true }),
  name: f.char({ maxLength: 20 }),
  labels: new GenericRelation(() => Label),
}) {}

const grelApp = defineApp({
  label: 'grel',
  models: [TaggedItem, Animal, Vegetable, Mineral, Bookmark, ForProxyModelModel, ForConcreteModelModel, ConcreteRelatedModel, ProxyRelatedModel, Photo, PhotoCredit, Label, BigOwner],
})

/** A GenericRelation to a model with no GenericForeignKey (never installed). */
class Orphan extends Model.define('grelcheck.Orphan', {
  animals: new GenericRelation(() => Mineral),
}) {}

const MY_APPS: AppConfig[] = [grelApp]

// ---------------------------------------------------------------------------------------------
// Each suite runs once per dialect on a private database (tests/support/dialects.ts).
// ---------------------------------------------------------------------------------------------

const INSTALLED: AppConfig[] = [contentTypesApp, ...MY_APPS]



function tags(items: readonly TaggedItem[]): string[] {
  return items.map((t) => t.tag)
}

function names(rows: readonly { toString(): string }[]): string[] {
  return rows.map((r) => String(r))
}

interface World {
  lion: Animal
  platypus: Animal
  eggplant: Vegetable
  bacon: Vegetable
  quartz: Mineral
  fatty: TaggedItem
  salty: TaggedItem
  yellow: TaggedItem
  hairy: TaggedItem
}

/** Django's generic_relations setUp; the content types end up cached. */
async function world(): Promise<World> {
  const lion = await Animal.objects.create({ commonName: 'Lion', latinName: 'Panthera leo' })
  const platypus = await Animal.objects.create({ commonName: 'Platypus', latinName: 'Ornithorhynchus anatinus' })
  const eggplant = await Vegetable.objects.create({ name: 'Eggplant', isYucky: true })
  const bacon = await Vegetable.objects.create({ name: 'Bacon', isYucky: false })
  const quartz = await Mineral.objects.create({ name: 'Quartz', hardness: 7 })
  const fatty = await bacon.tags.create({ tag: 'fatty' })
  const salty = await bacon.tags.create({ tag: 'salty' })
  const yellow = await lion.tags.create({ tag: 'yellow' })
  const hairy = await lion.tags.create({ tag: 'hairy' })
  await ContentType.objects.getForModels([Animal, Vegetable, Mineral, Bookmark])
  return { lion, platypus, eggplant, bacon, quartz, fatty, salty, yellow, hairy }
}

// ---------------------------------------------------------------------------------------------

describe('GenericRelation: the field', () => {
  test('a private relation with no column, outside Options.fields; its accessor is a GenericRelatedObjectManager', () => {
    const field = Animal._meta.getField('tags') as GenericRelation<TaggedItem>
    expect(field).toBeInstanceOf(GenericRelation)
    expect(field.isPrivate).toBe(true)
    expect(field.concrete).toBe(false)
    expect(field.isRelation).toBe(true)
    expect(field.column).toBe('')
    expect(field.relatedModel).toBe(TaggedItem)
    expect(field.contentTypeFieldName).toBe('contentType')
    expect(field.objectIdFieldName).toBe('objectId')
    expect(field.forConcreteModel).toBe(true)
    expect(field.relatedQueryName).toBe('animal')
    expect(Animal._meta.fields.map((x) => x.name)).toEqual(['id', 'commonName', 'latinName'])
    expect(Animal._meta.privateFields).toEqual([field])
    const manager = new Animal({ commonName: 'x', latinName: 'y' }).tags
    expect(manager).toBeInstanceOf(GenericRelatedObjectManager)
    expect(String(manager)).toContain('GenericRelatedObjectManager')
  })

  test("contenttypes.E004: a GenericRelation to a model without a matching GenericForeignKey", () => {
    const field = Orphan._meta.getField('animals') as GenericRelation
    const errors = field.check()
    expect(errors.map((e) => [e.id, e.msg])).toEqual([
      ['contenttypes.E004', "The GenericRelation defines a relation with the model 'grel.Mineral', but that model does not have a GenericForeignKey."],
    ])
    expect(errors[0]!.obj).toBe(field)
    expect((Animal._meta.getField('tags') as GenericRelation).check()).toEqual([])
  })
})

describeEachDialect('GenericRelation manager: reading', INSTALLED, () => {
  test('all() mimics a many-to-many: each owner sees only its own rows, in the related ordering', async () => {
    const { lion, bacon, platypus, fatty, salty, hairy, yellow } = await world()
    expect((await lion.tags.all()).map((t) => t.pk)).toEqual([hairy.pk, yellow.pk])
    expect((await bacon.tags.all()).map((t) => t.pk)).toEqual([fatty.pk, salty.pk])
    expect(await platypus.tags.all()).toEqual([])
    expect(tags(await lion.tags.all())).toEqual(['hairy', 'yellow'])
  })

  test('filter(), count(), get(), exists()', async () => {
    const { lion, bacon, yellow } = await world()
    expect(tags(await lion.tags.filter({ tag__startswith: 'y' }))).toEqual(['yellow'])
    expect(await lion.tags.count()).toBe(2)
    expect(await bacon.tags.filter({ tag: 'yellow' }).count()).toBe(0)
    expect((await lion.tags.get({ tag: 'yellow' })).pk).toBe(yellow.pk)
    await expect(bacon.tags.get({ tag: 'yellow' })).rejects.toBeInstanceOf(TaggedItem.DoesNotExist)
    expect(await lion.tags.exists()).toBe(true)
  })

  test('the rows of another model with the same id are not related (the content type is part of the filter)', async () => {
    const { lion } = await world()
    const bookmark = await Bookmark.objects.create({ pk: lion.pk, url: 'https://example.com/' })
    await bookmark.tags.create({ tag: 'link' })
    expect(tags(await lion.tags.all())).toEqual(['hairy', 'yellow'])
    expect(tags(await bookmark.tags.all())).toEqual(['link'])
    expect(await lion.tags.filter({ tag: 'link' }).count()).toBe(0)
  })

  test('a tagged item reads its owner back through its GenericForeignKey', async () => {
    const { lion, fatty } = await world()
    const fresh = await TaggedItem.objects.get({ pk: fatty.pk })
    expect(String(await fresh.contentObject)).toBe('Bacon')
    const created = await lion.tags.create({ tag: 'big' })
    expect(created.contentTypeId).toBe((await ContentType.objects.getForModel(Animal)).id)
    expect(created.objectId).toBe(lion.pk)
  })
})

describeEachDialect('GenericRelation manager: writing', INSTALLED, () => {
  test('add() (bulk): one UPDATE for two objects; their GenericForeignKeys then read the new owner', async () => {
    const { quartz } = await world()
    const bacon = await Vegetable.objects.create({ name: 'Bacon', isYucky: false })
    const t1 = await TaggedItem.objects.create({ contentObject: quartz, tag: 'shiny' })
    const t2 = await TaggedItem.objects.create({ contentObject: quartz, tag: 'clearish' })
    const { count, queries } = await counted(() => bacon.tags.add(t1, t2))
    expect(count).toBe(1)
    expect(queries[0]!.sql).toMatch(/^update/i)
    expect((await t1.contentObject)!.pk).toBe(bacon.pk)
    expect(await t2.contentObject).toBeInstanceOf(Vegetable)
    expect(tags(await bacon.tags.all())).toEqual(['clearish', 'shiny'])
    expect(await TaggedItem.objects.filter({ tag__in: ['shiny', 'clearish'], objectId: quartz.pk, contentType: await ContentType.objects.getForModel(Mineral) }).count()).toBe(0)
  })

  test('add(…, { bulk: false }) saves each object (2 queries for 2), unsaved objects included', async () => {
    const { quartz } = await world()
    const bacon = await Vegetable.objects.create({ name: 'Bacon', isYucky: false })
    const t1 = await TaggedItem.objects.create({ contentObject: quartz, tag: 'shiny' })
    const t2 = await TaggedItem.objects.create({ contentObject: quartz, tag: 'clearish' })
    const { count } = await counted(() => bacon.tags.add(t1, t2, { bulk: false }))
    expect(count).toBe(2)
    expect(tags(await bacon.tags.all())).toEqual(['clearish', 'shiny'])
    const t3 = new TaggedItem({ tag: 'new' })
    await bacon.tags.add(t3, { bulk: false })
    expect(t3.pk).not.toBeNull()
    expect(tags(await bacon.tags.all())).toEqual(['clearish', 'new', 'shiny'])
  })

  test('add() (bulk) rejects unsaved objects: "<TaggedItem: shiny> instance isn\'t saved. Use bulk=False or save the object first."', async () => {
    const { quartz, bacon } = await world()
    const t1 = new TaggedItem({ contentObject: quartz, tag: 'shiny' })
    const error = await errorOf(() => bacon.tags.add(t1))
    expect(error.message).toBe("<TaggedItem: shiny> instance isn't saved. Use bulk=False or save the object first.")
    expect(t1.pk ?? null).toBeNull()
    expect(await bacon.tags.count()).toBe(2)
  })

  test('add() rejects instances of another model: "\'TaggedItem\' instance expected, got <Animal: Lion>"', async () => {
    const { lion, bacon } = await world()
    for (const bulk of [true, false]) {
      const error = await errorOf(() => bacon.tags.add(lion as unknown as TaggedItem, { bulk }))
      expect(error).toBeInstanceOf(TypeError)
      expect(error.message).toBe("'TaggedItem' instance expected, got <Animal: Lion>")
    }
    expect(await bacon.tags.count()).toBe(2)
  })

  test('create() makes a row pointing at the owner; getOrCreate() and updateOrCreate() look up within the owner', async () => {
    const { bacon, lion } = await world()
    const count = await bacon.tags.count()
    const [stinky, created] = await bacon.tags.getOrCreate({ tag: 'stinky' })
    expect(created).toBe(true)
    expect(await bacon.tags.count()).toBe(count + 1)
    const [again, createdAgain] = await bacon.tags.getOrCreate({ id: stinky.pk }, { defaults: { tag: 'juicy' } })
    expect(createdAgain).toBe(false)
    expect(again.tag).toBe('stinky')
    // "fatty" exists, but on bacon: the lion gets its own.
    const [lionFatty, lionCreated] = await lion.tags.getOrCreate({ tag: 'fatty' })
    expect(lionCreated).toBe(true)
    expect(lionFatty.objectId).toBe(lion.pk)

    const [updated, createdByUpdate] = await bacon.tags.updateOrCreate({ id: stinky.pk }, { defaults: { tag: 'juicy' } })
    expect(createdByUpdate).toBe(false)
    expect(updated.tag).toBe('juicy')
    expect(await bacon.tags.count()).toBe(count + 1)
    const [fresh, createdFresh] = await bacon.tags.updateOrCreate({ tag: 'stinky' }, { createDefaults: { tag: 'cured' }, defaults: { tag: 'uncured' } })
    expect(createdFresh).toBe(true)
    expect(fresh.tag).toBe('cured')
    expect(await bacon.tags.count()).toBe(count + 2)
    expect(tags(await bacon.tags.all())).toEqual(['cured', 'fatty', 'juicy', 'salty'])
  })

  test('remove() deletes the given related rows (count decreases); rows of other owners are left alone', async () => {
    const { lion, bacon, hairy, fatty } = await world()
    const before = await TaggedItem.objects.count()
    await lion.tags.remove(hairy)
    expect(tags(await lion.tags.all())).toEqual(['yellow'])
    expect(await TaggedItem.objects.count()).toBe(before - 1)
    expect(await TaggedItem.objects.filter({ pk: hairy.pk }).exists()).toBe(false)
    // fatty belongs to bacon: removing it through the lion does nothing.
    await lion.tags.remove(fatty)
    expect(await TaggedItem.objects.filter({ pk: fatty.pk }).exists()).toBe(true)
    expect(tags(await bacon.tags.all())).toEqual(['fatty', 'salty'])
    await bacon.tags.remove(fatty, { bulk: false })
    expect(tags(await bacon.tags.all())).toEqual(['salty'])
    expect(await TaggedItem.objects.count()).toBe(before - 2)
    await bacon.tags.remove()
    expect(await TaggedItem.objects.count()).toBe(before - 2)
  })

  test('clear() deletes every related row of the owner, bulk or not', async () => {
    const { lion, bacon, quartz } = await world()
    await TaggedItem.objects.create({ contentObject: quartz, tag: 'shiny' })
    await TaggedItem.objects.create({ contentObject: quartz, tag: 'clearish' })
    expect(tags(await TaggedItem.objects.all())).toEqual(['clearish', 'fatty', 'hairy', 'salty', 'shiny', 'yellow'])
    await bacon.tags.clear()
    expect(await bacon.tags.all()).toEqual([])
    expect(tags(await TaggedItem.objects.all())).toEqual(['clearish', 'hairy', 'shiny', 'yellow'])
    await lion.tags.clear({ bulk: false })
    expect(tags(await TaggedItem.objects.all())).toEqual(['clearish', 'shiny'])
  })

  test('set(): keeps, removes (deletes) and adds; with clear and bulk: false', async () => {
    const bacon = await Vegetable.objects.create({ name: 'Bacon', isYucky: false })
    const fatty = await bacon.tags.create({ tag: 'fatty' })
    const salty = await bacon.tags.create({ tag: 'salty' })

    await bacon.tags.set([fatty, salty])
    expect((await bacon.tags.all()).map((t) => t.pk)).toEqual([fatty.pk, salty.pk])
    await bacon.tags.set([fatty])
    expect((await bacon.tags.all()).map((t) => t.pk)).toEqual([fatty.pk])
    expect(await TaggedItem.objects.filter({ pk: salty.pk }).exists()).toBe(false)
    await bacon.tags.set([])
    expect(await bacon.tags.all()).toEqual([])
    await bacon.tags.set([fatty, salty], { bulk: false, clear: true })
    expect(tags(await bacon.tags.all())).toEqual(['fatty', 'salty'])
    await bacon.tags.set([fatty], { bulk: false, clear: true })
    expect(tags(await bacon.tags.all())).toEqual(['fatty'])
    await bacon.tags.set([], { clear: true })
    expect(await bacon.tags.all()).toEqual([])
  })

  test('set() moves rows of another owner over (bulk UPDATE) and evaluates the given rows first', async () => {
    const { lion, bacon, yellow } = await world()
    const fattyRows = await bacon.tags.filter({ tag: 'fatty' })
    await bacon.tags.set(fattyRows)
    expect(tags(await bacon.tags.all())).toEqual(['fatty'])
    await bacon.tags.set([...fattyRows, yellow])
    expect(tags(await bacon.tags.all())).toEqual(['fatty', 'yellow'])
    expect(tags(await lion.tags.all())).toEqual(['hairy'])
  })

  test('prefetchRelated(tags) with a cold content type cache: 2 queries, the type looked up inside the second', async () => {
    await world()
    ContentType.objects.clearCache()
    const { result, count } = await counted(() => Animal.objects.prefetchRelated('tags').orderBy('commonName').fetch())
    expect(count).toBe(2)
    const reads = await counted(async () => Promise.all(result.map(async (a) => tags(await a.tags.all()))))
    expect(reads.count).toBe(0)
    expect(reads.result).toEqual([['hairy', 'yellow'], []])
  })

  test('writes clear the prefetched results: add, create, remove, clear and set query again', async () => {
    const { platypus, lion, bacon } = await world()
    let fetched = await Animal.objects.prefetchRelated('tags').get({ pk: platypus.pk })
    expect(await fetched.tags.all()).toEqual([])
    const weird = await platypus.tags.create({ tag: 'weird' })
    await fetched.tags.add(weird)
    expect(tags(await fetched.tags.all())).toEqual(['weird'])

    fetched = await Animal.objects.prefetchRelated('tags').get({ pk: platypus.pk })
    await fetched.tags.create({ tag: 'odd' })
    expect(tags(await fetched.tags.all())).toEqual(['odd', 'weird'])

    fetched = await Animal.objects.prefetchRelated('tags').get({ pk: platypus.pk })
    await fetched.tags.remove(weird)
    expect(tags(await fetched.tags.all())).toEqual(['odd'])

    const lionFetched = await Animal.objects.prefetchRelated('tags').get({ pk: lion.pk })
    await lionFetched.tags.clear()
    expect(await lionFetched.tags.all()).toEqual([])

    const baconFetched = await Vegetable.objects.prefetchRelated('tags').get({ pk: bacon.pk })
    const fatty = (await baconFetched.tags.all())[0]!
    await baconFetched.tags.set([fatty])
    expect(tags(await baconFetched.tags.all())).toEqual(['fatty'])
  })
})

describeEachDialect('GenericRelation manager: prefetched results', INSTALLED, () => {
  test('after prefetchRelated("tags"), all(), count() and iteration need no query; filter() queries', async () => {
    await world()
    const { result: animals, count } = await counted(() => Animal.objects.prefetchRelated('tags').orderBy('commonName').fetch())
    expect(count).toBe(2)
    const reads = await counted(async () => [
      tags(await animals[0]!.tags.all()),
      await animals[0]!.tags.count(),
      tags(await animals[1]!.tags.all()),
    ])
    expect(reads.count).toBe(0)
    expect(reads.result).toEqual([['hairy', 'yellow'], 2, []])
    const filtered = await counted(async () => tags(await animals[0]!.tags.filter({ tag: 'yellow' })))
    expect(filtered.result).toEqual(['yellow'])
    expect(filtered.count).toBe(1)
  })

  test('Prefetch("tags", { queryset }) keeps the filtered result; toAttr stores a list', async () => {
    await world()
    const animals = await Animal.objects.prefetchRelated(new Prefetch('tags', { queryset: TaggedItem.objects.filter({ tag__startswith: 'h' }) })).orderBy('commonName')
    const reads = await counted(async () => tags(await animals[0]!.tags.all()))
    expect(reads.count).toBe(0)
    expect(reads.result).toEqual(['hairy'])
    // .all() on it is a new queryset (Django re-runs the prefetch queryset): the same rows.
    expect(tags(await animals[0]!.tags.all().all())).toEqual(['hairy'])
    const withAttr = await Animal.objects.prefetchRelated(new Prefetch('tags', { toAttr: 'tagList' })).orderBy('commonName')
    expect(tags(withAttr[0]!.tagList!)).toEqual(['hairy', 'yellow'])
    expect(withAttr[1]!.tagList).toEqual([])
  })
})

describeEachDialect('GenericRelation: lookups through the relation', INSTALLED, () => {
  test("the owner filters and excludes across it: Animal.objects.filter({ tags__tag: 'fatty' })", async () => {
    const { lion, platypus } = await world()
    expect(names(await Animal.objects.filter({ tags__tag: 'fatty' }))).toEqual([])
    expect(names(await Animal.objects.filter({ tags__tag: 'yellow' }))).toEqual(['Lion'])
    expect(names(await Vegetable.objects.filter({ tags__tag: 'fatty' }))).toEqual(['Bacon'])
    expect(names(await Animal.objects.exclude({ tags__tag: 'yellow' }))).toEqual(['Platypus'])
    expect(names(await Animal.objects.filter({ tags__isnull: true }))).toEqual(['Platypus'])
    expect(names(await Animal.objects.filter({ tags__isnull: false }).distinct())).toEqual(['Lion'])
    expect(names(await Animal.objects.filter({ tags: (await lion.tags.get({ tag: 'hairy' })).pk }))).toEqual(['Lion'])
    void platypus
  })

  test('a join carries the content type condition: a Bookmark with the lion\'s id and a "fatty" tag never matches an Animal', async () => {
    const { lion, platypus } = await world()
    const bookmark = await Bookmark.objects.create({ pk: lion.pk, url: 'https://example.com/' })
    await bookmark.tags.create({ tag: 'fatty' })
    await platypus.tags.create({ tag: 'fatty' })
    expect(names(await Animal.objects.filter({ tags__tag: 'fatty' }))).toEqual(['Platypus'])
    expect(names(await Animal.objects.exclude({ tags__tag: 'fatty' }))).toEqual(['Lion'])
    expect(names(await Bookmark.objects.filter({ tags__tag: 'fatty' }))).toEqual(['https://example.com/'])
    expect(names(await Bookmark.objects.filter({ tags__tag: 'yellow' }))).toEqual([])
    const { queries } = await captureQueries(() => Animal.objects.filter({ tags__tag: 'fatty' }).fetch())
    expect(queries[0]!.sql).toContain('content_type_id')
  })

  test('exclude() is the exact complement of filter() across the relation', async () => {
    const { lion } = await world()
    const bookmark = await Bookmark.objects.create({ pk: lion.pk, url: 'https://example.com/' })
    await bookmark.tags.create({ tag: 'zebra' })
    const all = names(await Animal.objects.orderBy('commonName'))
    for (const lookup of [{ tags__tag: 'yellow' }, { tags__tag__startswith: 'h' }, { tags__tag: 'zebra' }, { tags__tag__in: ['fatty', 'salty'] }]) {
      const kept = names(await Animal.objects.filter(lookup).distinct().orderBy('commonName'))
      const excluded = names(await Animal.objects.exclude(lookup).orderBy('commonName'))
      expect([...kept, ...excluded].sort(), JSON.stringify(lookup)).toEqual(all)
      expect(kept.filter((n) => excluded.includes(n))).toEqual([])
    }
    expect(names(await Animal.objects.exclude({ tags__tag: 'zebra' }).orderBy('commonName'))).toEqual(['Lion', 'Platypus'])
  })

  test('multi-valued: two filter() calls join twice, one call matches the same row', async () => {
    await world()
    expect(names(await Animal.objects.filter({ tags__tag: 'yellow' }).filter({ tags__tag: 'hairy' }))).toEqual(['Lion'])
    expect(names(await Animal.objects.filter(new Q({ tags__tag: 'yellow' }), new Q({ tags__tag: 'hairy' })))).toEqual([])
  })

  test('relatedQueryName: TaggedItem filters, excludes and orders through "animal" (with the content type condition)', async () => {
    const { lion } = await world()
    const bookmark = await Bookmark.objects.create({ pk: lion.pk, url: 'https://example.com/' })
    await bookmark.tags.create({ tag: 'link' })
    expect(tags(await TaggedItem.objects.filter({ animal__commonName: 'Lion' }))).toEqual(['hairy', 'yellow'])
    expect(tags(await TaggedItem.objects.filter({ animal__isnull: false }))).toEqual(['hairy', 'yellow'])
    expect(tags(await TaggedItem.objects.filter({ bookmark__url__contains: 'example' }))).toEqual(['link'])
    const platypus = await Animal.objects.get({ commonName: 'Platypus' })
    await platypus.tags.create({ tag: 'aquatic' })
    expect(tags(await TaggedItem.objects.filter({ animal__isnull: false }).orderBy('-animal__commonName', 'tag'))).toEqual(['aquatic', 'hairy', 'yellow'])
    expect(await TaggedItem.objects.filter({ animal__latinName__startswith: 'Panthera' }).count()).toBe(2)
  })

  test('relatedQueryName: TaggedItem.objects.exclude() through "animal" is the complement of filter()', async () => {
    const { lion } = await world()
    const bookmark = await Bookmark.objects.create({ pk: lion.pk, url: 'https://example.com/' })
    await bookmark.tags.create({ tag: 'link' })
    expect(tags(await TaggedItem.objects.exclude({ animal__commonName: 'Lion' }))).toEqual(['fatty', 'link', 'salty'])
    expect(tags(await TaggedItem.objects.exclude({ bookmark__url__contains: 'example' }))).toEqual(['fatty', 'hairy', 'salty', 'yellow'])
  })

  test('relatedQueryName also gives tagged items a reverse accessor to their owners', async () => {
    const { yellow, fatty } = await world()
    const owners = await (yellow as any).animal
    expect(names(owners)).toEqual(['Lion'])
    expect(await (fatty as any).animal).toEqual([])
  })

  test('without relatedQueryName there is no lookup back: FieldError listing the choices', async () => {
    await world()
    const error = await errorOf(() => TaggedItem.objects.filter({ vegetable__name: 'Bacon' }))
    expect(error).toBeInstanceOf(FieldError)
    expect(error.message).toBe("Cannot resolve keyword 'vegetable' into field. Choices are: animal, bookmark, contentObject, contentType, contentTypeId, id, objectId, tag")
  })

  test('selectRelated("tags") is refused', async () => {
    const error = await errorOf(() => Animal.objects.selectRelated('tags'))
    expect(error).toBeInstanceOf(FieldError)
    expect(error.message).toContain("'tags'")
  })

  test('with a cold content type cache, a lookup through the relation is one query: the type is a subquery', async () => {
    await world()
    ContentType.objects.clearCache()
    const cold = await counted(() => Animal.objects.filter({ tags__tag: 'hairy' }).fetch())
    expect(cold.count).toBe(1)
    expect(cold.queries[0]!.sql).toMatch(/django_content_type/)
    expect(names(cold.result)).toEqual(['Lion'])
    const reverse = await counted(() => TaggedItem.objects.filter({ animal__commonName: 'Lion' }).fetch())
    expect(reverse.count).toBe(1)
    expect(tags(reverse.result)).toEqual(['hairy', 'yellow'])
    const annotated = await counted(() => Animal.objects.annotate({ n: Count('tags') }).orderBy('commonName').fetch())
    expect(annotated.count).toBe(1)
    expect(annotated.result.map((a) => a.n)).toEqual([2, 0])
    // Warm, the id is a plain parameter.
    await ContentType.objects.getForModel(Animal)
    const warm = await counted(() => Animal.objects.filter({ tags__tag: 'hairy' }).fetch())
    expect(warm.queries[0]!.sql).not.toMatch(/django_content_type/)
    expect(names(warm.result)).toEqual(['Lion'])
  })

  test('a lookup through the relation of a model with no content type row yet matches nothing and creates none', async () => {
    const { lion } = await world()
    // A bookmark whose id is the lion's: only the content type tells their tagged items apart.
    await Bookmark.objects.create({ pk: lion.pk, url: 'x' })
    await ContentType.objects.filter({ appLabel: 'grel', model: 'bookmark' }).rawDelete()
    ContentType.objects.clearCache()
    expect(await Bookmark.objects.filter({ tags__tag: 'hairy' }).count()).toBe(0)
    expect(await TaggedItem.objects.filter({ bookmark__url__contains: 'x' }).count()).toBe(0)
    // Excluding through it keeps every row (the missing type makes the condition false, not NULL).
    const all = await TaggedItem.objects.count()
    expect(await TaggedItem.objects.exclude({ bookmark__url: 'x' }).count()).toBe(all)
    expect(await TaggedItem.objects.exclude({ bookmark__isnull: false }).count()).toBe(all)
    expect(await ContentType.objects.filter({ appLabel: 'grel', model: 'bookmark' }).count()).toBe(0)
  })

  test("aggregate(Count('tags')) and annotate(Count('tags')) count only the owner's content type", async () => {
    const { lion } = await world()
    const bookmark = await Bookmark.objects.create({ pk: lion.pk, url: 'https://example.com/' })
    await bookmark.tags.create({ tag: 'a' })
    await bookmark.tags.create({ tag: 'b' })
    await bookmark.tags.create({ tag: 'c' })
    expect(await Animal.objects.aggregate(Count('tags'))).toEqual({ tags__count: 2 })
    expect(await Vegetable.objects.aggregate(Count('tags'))).toEqual({ tags__count: 2 })
    expect(await Bookmark.objects.aggregate(Count('tags'))).toEqual({ tags__count: 3 })
    const animals = await Animal.objects.annotate({ n: Count('tags') }).orderBy('commonName')
    expect(animals.map((a) => [a.commonName, a.n])).toEqual([['Lion', 2], ['Platypus', 0]])
    const vegetables = await Vegetable.objects.annotate({ n: Count('tags') }).filter({ n__gt: 0 })
    expect(names(vegetables)).toEqual(['Bacon'])
  })
})

describeEachDialect('GenericRelation: deleting an owner', INSTALLED, () => {
  test('deleting an owner deletes its tagged items; a model without GenericRelation leaves them', async () => {
    const { lion, quartz } = await world()
    await TaggedItem.objects.create({ contentObject: quartz, tag: 'shiny' })
    const [total, perModel] = await lion.delete()
    expect(perModel).toEqual({ 'grel.Animal': 1, 'grel.TaggedItem': 2 })
    expect(total).toBe(3)
    expect(tags(await TaggedItem.objects.all())).toEqual(['fatty', 'salty', 'shiny'])
    await quartz.delete()
    expect(tags(await TaggedItem.objects.all())).toEqual(['fatty', 'salty', 'shiny'])
  })

  test('QuerySet.delete() of owners cascades too, only to their own content type', async () => {
    const { lion } = await world()
    const bookmark = await Bookmark.objects.create({ pk: lion.pk, url: 'https://example.com/' })
    await bookmark.tags.create({ tag: 'link' })
    const [, perModel] = await Animal.objects.all().delete()
    expect(perModel).toEqual({ 'grel.Animal': 2, 'grel.TaggedItem': 2 })
    expect(tags(await TaggedItem.objects.all())).toEqual(['fatty', 'link', 'salty'])
  })

  test('QuerySet.delete() with nothing listening loads nothing: the owners\' DELETE returns their keys, then one DELETE of what they own', async () => {
    const { lion } = await world()
    const bookmark = await Bookmark.objects.create({ pk: lion.pk, url: 'https://example.com/' })
    await bookmark.tags.create({ tag: 'link' })
    await ContentType.objects.getForModel(Animal)
    const { result, queries } = await counted(() => Animal.objects.filter({ commonName__in: ['Lion', 'Platypus'] }).delete())
    expect(result).toEqual([4, { 'grel.TaggedItem': 2, 'grel.Animal': 2 }])
    expect(queries.map((q) => q.sql.split(' ')[0])).toEqual(['DELETE', 'DELETE'])
    expect(queries[0]!.sql).toMatch(/RETURNING/)
    expect(tags(await TaggedItem.objects.all())).toEqual(['fatty', 'link', 'salty'])
    expect(await Bookmark.objects.count()).toBe(1)
  })

  test('where DELETE cannot return rows (MySQL), the owners\' keys are read once, then one DELETE each', async () => {
    const { lion } = await world()
    const bookmark = await Bookmark.objects.create({ pk: lion.pk, url: 'https://example.com/' })
    await bookmark.tags.create({ tag: 'link' })
    await ContentType.objects.getForModel(Animal)
    const backend = connections.get()
    const features = backend.features
    Object.defineProperty(backend, 'features', { value: { ...features, canReturnRowsFromDelete: false }, configurable: true, writable: true })
    try {
      const { result, queries } = await counted(() => Animal.objects.filter({ commonName__in: ['Lion', 'Platypus'] }).delete())
      expect(result).toEqual([4, { 'grel.TaggedItem': 2, 'grel.Animal': 2 }])
      expect(queries.map((q) => q.sql.split(' ')[0])).toEqual(['SELECT', 'DELETE', 'DELETE'])
      expect(queries.some((q) => /RETURNING/.test(q.sql))).toBe(false)
    } finally {
      Object.defineProperty(backend, 'features', { value: features, configurable: true, writable: true })
    }
    expect(tags(await TaggedItem.objects.all())).toEqual(['fatty', 'link', 'salty'])
  })

  test('owners keyed past 2**53 lose exactly their own rows (the returned keys keep every digit)', async () => {
    const a = await BigOwner.objects.create({ id: 9007199254740993n, name: 'a' })
    const b = await BigOwner.objects.create({ id: 9007199254740992n, name: 'b' })
    await a.labels.create({ text: 'of-a' })
    await b.labels.create({ text: 'of-b' })
    const [total, perModel] = await BigOwner.objects.filter({ name: 'a' }).delete()
    expect(perModel).toEqual({ 'grel.Label': 1, 'grel.BigOwner': 1 })
    expect(total).toBe(2)
    expect(await Label.objects.orderBy('text').valuesList('text', { flat: true })).toEqual(['of-b'])
  })

  test('owners that other rows may refer to go after what they own, by keys read once', async () => {
    const photo = await Photo.objects.create({ title: 'sunset' })
    await photo.tags.create({ tag: 'orange' })
    await PhotoCredit.objects.create({ author: 'nobody' })
    await ContentType.objects.getForModel(Photo)
    const { result, queries } = await counted(() => Photo.objects.all().delete())
    expect(result).toEqual([2, { 'grel.TaggedItem': 1, 'grel.Photo': 1 }])
    expect(queries.map((q) => q.sql.split(' ')[0])).toEqual(['SELECT', 'DELETE', 'DELETE'])
    expect(queries.some((q) => /RETURNING/.test(q.sql))).toBe(false)
    expect(await TaggedItem.objects.filter({ tag: 'orange' }).count()).toBe(0)
  })

  test('owners chosen by their own tagged items lose both, whatever the filter reads', async () => {
    await world()
    const [total, perModel] = await Animal.objects.exclude({ tags__isnull: true }).delete()
    expect(perModel).toEqual({ 'grel.TaggedItem': 2, 'grel.Animal': 1 })
    expect(total).toBe(3)
    const fattyOwners = TaggedItem.objects.filter({ tag: 'fatty' }).valuesList('objectId', { flat: true })
    const [, byKeys] = await Vegetable.objects.filter({ pk__in: fattyOwners }).delete()
    expect(byKeys).toEqual({ 'grel.TaggedItem': 2, 'grel.Vegetable': 1 })
    expect(names(await Animal.objects.all())).toEqual(['Platypus'])
    expect(names(await Vegetable.objects.all())).toEqual(['Eggplant'])
    expect(tags(await TaggedItem.objects.all())).toEqual([])
  })

  test('deleting no owners sends one statement (the owners\' DELETE, matching nothing) and creates no content type', async () => {
    await world()
    const { result, queries } = await counted(() => Animal.objects.filter({ commonName: 'nobody' }).delete())
    expect(result).toEqual([0, {}])
    expect(queries.map((q) => q.sql.split(' ')[0])).toEqual(['DELETE'])
    expect((await counted(() => Animal.objects.none().delete())).count).toBe(0)
  })

  test('a delete receiver on the owner makes QuerySet.delete() load the owners, so it sees each one', async () => {
    await world()
    const seen: string[] = []
    const receiver = ({ instance }: { instance: unknown }) => { seen.push(String(instance)) }
    preDelete.connect(receiver, { sender: Animal })
    try {
      const { result, queries } = await counted(() => Animal.objects.filter({ commonName: 'Lion' }).delete())
      expect(result).toEqual([3, { 'grel.TaggedItem': 2, 'grel.Animal': 1 }])
      expect(queries[0]!.sql.startsWith('SELECT')).toBe(true)
    } finally {
      preDelete.disconnect(receiver, { sender: Animal })
    }
    expect(seen).toEqual(['Lion'])
    expect(tags(await TaggedItem.objects.all())).toEqual(['fatty', 'salty'])
  })

  test('owners chosen through their own tagged items are deleted with them (the owners are loaded first)', async () => {
    await world()
    const [total, perModel] = await Animal.objects.filter({ tags__tag: 'hairy' }).delete()
    expect(perModel).toEqual({ 'grel.TaggedItem': 2, 'grel.Animal': 1 })
    expect(total).toBe(3)
    expect(names(await Animal.objects.all())).toEqual(['Platypus'])
    expect(tags(await TaggedItem.objects.all())).toEqual(['fatty', 'salty'])
  })

  test('pre/postDelete receivers see the tagged items, inside the deletion\'s transaction', async () => {
    const { lion } = await world()
    const seen: string[] = []
    const pre = ({ instance }: { instance: unknown }) => { seen.push(`pre ${String(instance)} ${inAtomicBlock()}`) }
    const post = ({ instance }: { instance: unknown }) => { seen.push(`post ${String(instance)} ${inAtomicBlock()}`) }
    preDelete.connect(pre, { sender: TaggedItem })
    postDelete.connect(post, { sender: TaggedItem })
    try {
      await lion.delete()
    } finally {
      preDelete.disconnect(pre, { sender: TaggedItem })
      postDelete.disconnect(post, { sender: TaggedItem })
    }
    expect(seen.sort()).toEqual(['post hairy true', 'post yellow true', 'pre hairy true', 'pre yellow true'])
  })

  test('a receiver that refuses aborts the whole deletion: the owner and its tagged items stay', async () => {
    const { lion } = await world()
    const refuse = ({ instance }: { instance: unknown }) => {
      throw new ProtectedError(`${String(instance)} is protected`, [instance as Model])
    }
    postDelete.connect(refuse, { sender: TaggedItem })
    let error: Error
    try {
      error = await errorOf(() => lion.delete())
    } finally {
      postDelete.disconnect(refuse, { sender: TaggedItem })
    }
    expect(error).toBeInstanceOf(ProtectedError)
    expect(await Animal.objects.filter({ commonName: 'Lion' }).count()).toBe(1)
    expect(tags(await TaggedItem.objects.filter({ tag__in: ['hairy', 'yellow'] }))).toEqual(['hairy', 'yellow'])
  })
})

describeEachDialect('GenericRelation and GenericForeignKey with proxies', INSTALLED, () => {
  test('forConcreteModel defaults to true: a proxy target is stored as its concrete model', async () => {
    const base = new ForConcreteModelModel()
    const rel = await ProxyRelatedModel.objects.create({})
    base.obj = rel
    await base.save()
    expect(base.contentTypeId).toBe((await ContentType.objects.getForModel(ConcreteRelatedModel)).id)
    const fresh = await ForConcreteModelModel.objects.get({ pk: base.pk })
    const read = await fresh.obj
    expect(read).toBeInstanceOf(ConcreteRelatedModel)
    expect(read).not.toBeInstanceOf(ProxyRelatedModel)
    expect(read!.pk).toBe(rel.pk)
  })

  test('forConcreteModel: false still works for the concrete model', async () => {
    const rel = await ConcreteRelatedModel.objects.create({})
    const base = new ForProxyModelModel({ obj: rel })
    await base.save()
    const fresh = await ForProxyModelModel.objects.get({ pk: base.pk })
    const read = await fresh.obj
    expect(read).toBeInstanceOf(ConcreteRelatedModel)
    expect(read).not.toBeInstanceOf(ProxyRelatedModel)
    expect(read!.pk).toBe(rel.pk)
    expect((await ConcreteRelatedModel.objects.get({ bases__id: base.pk })).pk).toBe(rel.pk)
  })

  test("forConcreteModel: false stores the proxy's own content type and reads back a proxy instance", async () => {
    const rel = await ProxyRelatedModel.objects.create({})
    const base = new ForProxyModelModel()
    base.obj = rel
    await base.save()
    const proxyCt = await ContentType.objects.getForModel(ProxyRelatedModel, { forConcreteModel: false })
    expect(proxyCt.model).toBe('proxyrelatedmodel')
    expect(base.contentTypeId).toBe(proxyCt.id)
    const fresh = await ForProxyModelModel.objects.get({ pk: base.pk })
    expect(await fresh.obj).toBeInstanceOf(ProxyRelatedModel)
    const [prefetched] = await ForProxyModelModel.objects.filter({ pk: base.pk }).prefetchRelated('obj')
    expect(await prefetched!.obj).toBeInstanceOf(ProxyRelatedModel)
  })

  test("lookups from the proxy through its relation use the proxy's content type", async () => {
    const rel = await ProxyRelatedModel.objects.create({})
    const base = await ForProxyModelModel.objects.create({ obj: rel, title: 'proxied' })
    expect((await ProxyRelatedModel.objects.get({ bases__id: base.pk })).pk).toBe(rel.pk)
    expect(await ConcreteRelatedModel.objects.filter({ bases__id: base.pk }).count()).toBe(0)
    expect(await ProxyRelatedModel.objects.annotate({ n: Count('bases') }).get({ pk: rel.pk })).toMatchObject({ n: 1 })
  })

  test("the proxy's manager reads and writes with the proxy content type", async () => {
    const rel = await ProxyRelatedModel.objects.create({})
    const base = await ForProxyModelModel.objects.create({ obj: rel, title: 'proxied' })
    const proxyRel = await ProxyRelatedModel.objects.get({ pk: rel.pk })
    expect((await proxyRel.bases.get()).pk).toBe(base.pk)
    const concreteRel = await ConcreteRelatedModel.objects.get({ pk: rel.pk })
    expect(await concreteRel.bases.count()).toBe(0)
    const created = await proxyRel.bases.create({ title: 'made by the proxy' })
    expect(created.contentTypeId).toBe((await ContentType.objects.getForModel(ProxyRelatedModel, { forConcreteModel: false })).id)
    expect(await proxyRel.bases.count()).toBe(2)
    expect(await concreteRel.bases.count()).toBe(0)
  })

  test('set() on a concrete owner moves a row to it', async () => {
    const base = new ForProxyModelModel({ obj: await ConcreteRelatedModel.objects.create({}) })
    await base.save()
    const newrel = await ConcreteRelatedModel.objects.create({})
    await newrel.bases.set([base])
    const fresh = await ConcreteRelatedModel.objects.get({ pk: newrel.pk })
    expect((await fresh.bases.get()).pk).toBe(base.pk)
  })

  test('deleting a proxy owner deletes the rows pointing at it through the proxy content type', async () => {
    const rel = await ProxyRelatedModel.objects.create({})
    await ForProxyModelModel.objects.create({ obj: rel, title: 'a' })
    await ForProxyModelModel.objects.create({ obj: rel, title: 'b' })
    const other = await ConcreteRelatedModel.objects.create({})
    await ForProxyModelModel.objects.create({ obj: other, title: 'kept' })
    await rel.delete()
    expect((await ForProxyModelModel.objects.all()).map((b) => b.title)).toEqual(['kept'])
  })
})

describeEachDialect('prefetching through generic relations', INSTALLED, () => {
  test("nested 'contentObject__tags': 1 query for the items, 1 per content type, 1 for all the tags", async () => {
    await world()
    const { result: items, count } = await counted(() =>
      TaggedItem.objects.filter({ tag__in: ['fatty', 'yellow'] }).prefetchRelated('contentObject__tags').fetch())
    expect(count).toBe(4)
    const reads = await counted(async () => {
      const out: string[] = []
      for (const item of items) {
        const owner = (await item.contentObject) as Animal | Vegetable
        out.push(`${item.tag}: ${String(owner)} ${tags(await owner.tags.all()).join(',')}`)
      }
      return out
    })
    expect(reads.count).toBe(0)
    expect(reads.result).toEqual(['fatty: Bacon fatty,salty', 'yellow: Lion hairy,yellow'])
  })

  test("reverse 'tags' over Animals and Bookmarks together: 1 query for every tag", async () => {
    const { lion, platypus } = await world()
    const bookmark = await Bookmark.objects.create({ pk: lion.pk, url: 'https://example.com/' })
    await bookmark.tags.create({ tag: 'link' })
    const owners: Array<Animal | Bookmark> = [
      await Animal.objects.get({ pk: lion.pk }),
      await Animal.objects.get({ pk: platypus.pk }),
      await Bookmark.objects.get({ pk: bookmark.pk }),
    ]
    const { count } = await counted(() => prefetchRelatedObjects(owners, 'tags'))
    expect(count).toBe(1)
    const reads = await counted(async () => Promise.all(owners.map(async (o) => tags(await o.tags.all()))))
    expect(reads.count).toBe(0)
    expect(reads.result).toEqual([['hairy', 'yellow'], [], ['link']])
  })

  test("Animal.objects.prefetchRelated('tags') is 2 queries; nested 'tags__contentObject' adds one per type", async () => {
    await world()
    const { result: animals, count } = await counted(() => Animal.objects.prefetchRelated('tags', 'tags__contentObject').orderBy('commonName').fetch())
    expect(count).toBe(3)
    const reads = await counted(async () => {
      const [hairy] = await animals[0]!.tags.all()
      return String(await hairy!.contentObject)
    })
    expect(reads.count).toBe(0)
    expect(reads.result).toBe('Lion')
  })

  test('prefetchRelatedObjects() with a Prefetch toAttr, then nested through it', async () => {
    await world()
    const animals = await Animal.objects.orderBy('commonName')
    const { count } = await counted(() => prefetchRelatedObjects(animals, new Prefetch('tags', { toAttr: 'tagList' }), 'tagList__contentObject'))
    expect(count).toBe(2)
    expect(tags(animals[0]!.tagList!)).toEqual(['hairy', 'yellow'])
    const reads = await counted(async () => String(await animals[0]!.tagList![0]!.contentObject))
    expect(reads.count).toBe(0)
    expect(reads.result).toBe('Lion')
  })

  test('the manager prefetcher accepts at most one queryset', async () => {
    const { lion } = await world()
    const field = Animal._meta.getField('tags') as GenericRelation
    const error = await errorOf(() => field.getPrefetchQuerysets([lion], [TaggedItem.objects.all(), TaggedItem.objects.all()]))
    expect(error.message).toBe('querysets argument of getPrefetchQuerysets() should have a length of 1.')
  })
})

describeEachDialect('GenericPrefetch', INSTALLED, () => {
  test('one queryset per content type: Vegetable.objects.all() and Animal.objects.only("commonName") (2 queries)', async () => {
    const { bacon, platypus } = await world()
    const tv = await TaggedItem.objects.create({ tag: 'great', contentObject: bacon })
    const ta = await TaggedItem.objects.create({ tag: 'awesome', contentObject: platypus })
    const taggedVegetable = await TaggedItem.objects.get({ pk: tv.pk })
    const taggedAnimal = await TaggedItem.objects.get({ pk: ta.pk })
    const { count } = await counted(() => prefetchRelatedObjects(
      [taggedVegetable, taggedAnimal],
      new GenericPrefetch('contentObject', [Vegetable.objects.all(), Animal.objects.only('commonName')]),
    ))
    expect(count).toBe(2)
    const names0 = await counted(async () => [
      ((await taggedVegetable.contentObject) as Vegetable).name,
      ((await taggedAnimal.contentObject) as Animal).commonName,
    ])
    expect(names0.count).toBe(0)
    expect(names0.result).toEqual(['Bacon', 'Platypus'])
    const animal = (await taggedAnimal.contentObject) as Animal
    const latin = await counted(async () => await (animal.latinName as unknown as Promise<string>))
    expect(latin.count).toBe(1)
    expect(latin.result).toBe('Ornithorhynchus anatinus')
  })

  test('content types without a queryset fall back to the default query', async () => {
    await world()
    const items = await TaggedItem.objects.filter({ tag__in: ['fatty', 'yellow'] })
      .prefetchRelated(new GenericPrefetch('contentObject', [Animal.objects.filter({ commonName: 'Lion' })]))
    const reads = await counted(async () => Promise.all(items.map(async (i) => String(await i.contentObject))))
    expect(reads.count).toBe(0)
    expect(reads.result).toEqual(['Bacon', 'Lion'])
  })

  test('toAttr: the object goes to that attribute, not to the GenericForeignKey cache', async () => {
    await world()
    const { result: items, count } = await counted(() => TaggedItem.objects.filter({ tag__in: ['fatty', 'yellow'] })
      .prefetchRelated(new GenericPrefetch('contentObject', [Animal.objects.all(), Vegetable.objects.all()], { toAttr: 'target' })).fetch())
    expect(count).toBe(3)
    expect(items.map((i) => String(i.target))).toEqual(['Bacon', 'Lion'])
    expect(items[0]!.target).toBeInstanceOf(Vegetable)
    const read = await counted(async () => String(await items[1]!.contentObject))
    expect(read.result).toBe('Lion')
    expect(read.count).toBe(1)
  })

  test('two querysets for the same model: "Only one queryset is allowed for each content type."', async () => {
    await world()
    const prefetch = new GenericPrefetch('contentObject', [Animal.objects.all(), Animal.objects.filter({ commonName: 'Lion' })])
    const error = await errorOf(() => TaggedItem.objects.prefetchRelated(prefetch).fetch())
    expect(error.message).toBe('Only one queryset is allowed for each content type.')
  })

  test('values() and valuesList() querysets: "Prefetch querysets cannot use raw(), values(), and values_list()."', () => {
    const message = 'Prefetch querysets cannot use raw(), values(), and values_list().'
    expect(() => new GenericPrefetch('contentObject', [Animal.objects.values('pk')])).toThrow(message)
    expect(() => new GenericPrefetch('contentObject', [Animal.objects.all(), Vegetable.objects.valuesList('pk')])).toThrow(message)
    expect(() => new GenericPrefetch('contentObject', [Vegetable.objects.valuesList('pk', { flat: true })])).toThrow(message)
  })
})
