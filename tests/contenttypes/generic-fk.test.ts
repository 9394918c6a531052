/**
 * GenericForeignKey against Django's behaviour (spec §3, §8, §14): the field, assignment, reads
 * and their cache rules, the instance's database, unsaved targets, lookups, the contenttypes.E001–
 * E004 checks, and object ids of every primary-key type (integer, UUID, char) stored in integer,
 * char and text columns: reading, prefetching, joining through GenericRelation and cascading.
 *
 * App labels of this file: gfk (installed), gfkcheck (never installed: broken models for checks).
 *
 * Each dialect runs on a private database (tests/support/dialects.ts), plus an
 * in-memory SQLite 'other' alias for the instance-database tests.
 */
import { beforeEach, describe, expect, test } from 'vitest'
import {
  CASCADE, CheckError, Count, FieldError, IntegrityError, Manager, Model, captureQueries,
  defineApp, fields as f, prefetchRelatedObjects, runChecks, uuid4,
  type AppConfig, type CapturedQuery, type CheckMessage,
} from '../../src/db/index.ts'
import {
  ContentType, GenericForeignKey, GenericPrefetch, GenericRelation, contentTypesApp,
} from '../../src/contenttypes/index.ts'
import { describeEachDialect } from '../support/dialects.ts'
import { counted, errorOf } from '../support/assertions.ts'

// ---------------------------------------------------------------------------------------------
// Models
// ---------------------------------------------------------------------------------------------

class TaggedItem extends Model.define('gfk.TaggedItem', {
  tag: f.slug(),
  contentType: f.foreignKey(() => ContentType, { onDelete: CASCADE }),
  objectId: f.positiveInteger(),
  contentObject: new GenericForeignKey('contentType', 'objectId'),
}, { indexes: [{ fields: ['contentType', 'objectId'] }] }) {
  declare static readonly objects: Manager<TaggedItem>
  override toString(): string {
    return this.tag
  }
}

class Animal extends Model.define('gfk.Animal', {
  name: f.char({ maxLength: 100 }),
}) {
  declare static readonly objects: Manager<Animal>
  override toString(): string {
    return this.name
  }
}

class Vegetable extends Model.define('gfk.Vegetable', {
  name: f.char({ maxLength: 100 }),
  isYucky: f.boolean({ default: true }),
}) {
  declare static readonly objects: Manager<Vegetable>
  override toString(): string {
    return this.name
  }
}

class PublishedManager extends Manager<Article> {
  override getQueryset() {
    return super.getQueryset().filter({ published: true })
  }
}

/** Its default manager hides unpublished articles; a GenericForeignKey reads through the base manager. */
class Article extends Model.define('gfk.Article', {
  title: f.char({ maxLength: 100 }),
  published: f.boolean({ default: false }),
}) {
  static override objects = new PublishedManager()
  override toString(): string {
    return this.title
  }
}

// Primary keys of three types, each with GenericRelations to notes whose object id is an
// integer, a char or a text column.

class IntTarget extends Model.define('gfk.IntTarget', {
  name: f.char({ maxLength: 50 }),
  intNotes: new GenericRelation(() => IntNote),
  charNotes: new GenericRelation(() => CharNote),
  textNotes: new GenericRelation(() => TextNote),
}) {
  declare static readonly objects: Manager<IntTarget>
  override toString(): string {
    return this.name
  }
}

class UuidTarget extends Model.define('gfk.UuidTarget', {
  id: f.uuid({ primaryKey: true, default: uuid4 }),
  name: f.char({ maxLength: 50 }),
  charNotes: new GenericRelation(() => CharNote),
  textNotes: new GenericRelation(() => TextNote),
}) {
  declare static readonly objects: Manager<UuidTarget>
  override toString(): string {
    return this.name
  }
}

class CharTarget extends Model.define('gfk.CharTarget', {
  code: f.char({ maxLength: 36, primaryKey: true }),
  name: f.char({ maxLength: 50 }),
  charNotes: new GenericRelation(() => CharNote),
  textNotes: new GenericRelation(() => TextNote),
}) {
  declare static readonly objects: Manager<CharTarget>
  override toString(): string {
    return this.name
  }
}

class IntNote extends Model.define('gfk.IntNote', {
  note: f.char({ maxLength: 50 }),
  contentType: f.foreignKey(() => ContentType, { onDelete: CASCADE, relatedName: 'gfkIntNotes' }),
  objectId: f.positiveInteger(),
  contentObject: new GenericForeignKey('contentType', 'objectId'),
}) {
  declare static readonly objects: Manager<IntNote>
}

class CharNote extends Model.define('gfk.CharNote', {
  note: f.char({ maxLength: 50 }),
  contentType: f.foreignKey(() => ContentType, { onDelete: CASCADE, relatedName: 'gfkCharNotes' }),
  objectId: f.char({ maxLength: 64 }),
  contentObject: new GenericForeignKey('contentType', 'objectId'),
}) {
  declare static readonly objects: Manager<CharNote>
}

class TextNote extends Model.define('gfk.TextNote', {
  note: f.char({ maxLength: 50 }),
  contentType: f.foreignKey(() => ContentType, { onDelete: CASCADE, relatedName: 'gfkTextNotes' }),
  objectId: f.text(),
  contentObject: new GenericForeignKey('contentType', 'objectId'),
}) {
  declare static readonly objects: Manager<TextNote>
}

const gfkApp = defineApp({
  label: 'gfk',
  models: [TaggedItem, Animal, Vegetable, Article, IntTarget, UuidTarget, CharTarget, IntNote, CharNote, TextNote],
})

// Broken models for the checks (never installed).

class MissingObjectId extends Model.define('gfkcheck.MissingObjectId', {
  contentType: f.foreignKey(() => ContentType, { onDelete: CASCADE, relatedName: '+' }),
  contentObject: new GenericForeignKey('contentType', 'objectId'),
}) {}

class MissingContentType extends Model.define('gfkcheck.MissingContentType', {
  objectId: f.positiveInteger(),
  contentObject: new GenericForeignKey('contentType', 'objectId'),
}) {}

class MissingBoth extends Model.define('gfkcheck.MissingBoth', {
  name: f.char({ maxLength: 10 }),
  contentObject: new GenericForeignKey(),
}) {}

class NotAForeignKey extends Model.define('gfkcheck.NotAForeignKey', {
  contentType: f.integer(),
  objectId: f.positiveInteger(),
  contentObject: new GenericForeignKey('contentType', 'objectId'),
}) {}

class ForeignKeyToAnimal extends Model.define('gfkcheck.ForeignKeyToAnimal', {
  contentType: f.foreignKey(() => Animal, { onDelete: CASCADE, relatedName: '+' }),
  objectId: f.positiveInteger(),
  contentObject: new GenericForeignKey('contentType', 'objectId'),
}) {}

class ValidCustomNames extends Model.define('gfkcheck.ValidCustomNames', {
  kind: f.foreignKey(() => ContentType, { onDelete: CASCADE, relatedName: '+' }),
  key: f.text(),
  target: new GenericForeignKey('kind', 'key'),
}) {}

class BadName extends Model.define('gfkcheck.BadName', {
  contentType: f.foreignKey(() => ContentType, { onDelete: CASCADE, relatedName: '+' }),
  objectId: f.positiveInteger(),
  contentObject_: new GenericForeignKey('contentType', 'objectId'),
}) {}

const checkApp = defineApp({
  label: 'gfkcheck',
  models: [MissingObjectId, MissingContentType, MissingBoth, NotAForeignKey, ForeignKeyToAnimal, ValidCustomNames, BadName],
})

const MY_APPS: AppConfig[] = [gfkApp]

// ---------------------------------------------------------------------------------------------
// Each suite runs once per dialect on a private database (tests/support/dialects.ts), with an
// in-memory SQLite 'other' alias for `using` tests.
// ---------------------------------------------------------------------------------------------

const INSTALLED: AppConfig[] = [contentTypesApp, ...MY_APPS]
const WITH_OTHER = { extraDatabases: { other: 'sqlite::memory:' } }



const REVERSE_QUERY_ERROR = "Field 'contentObject' does not generate an automatic reverse relation and therefore cannot be used for reverse querying. " +
  'If it is a GenericForeignKey, consider adding a GenericRelation.'

function summary(messages: CheckMessage[]): Array<{ id: string | undefined; msg: string; hint: string | undefined }> {
  return messages.map((m) => ({ id: m.id, msg: m.msg, hint: m.hint }))
}

const HINT = "GenericForeignKeys must use a ForeignKey to 'contenttypes.ContentType' as the 'content_type' field."

// ---------------------------------------------------------------------------------------------

describe('GenericForeignKey: the field', () => {
  test('a private, non-concrete, non-editable relation with no column; str() is app.Model.field', () => {
    const field = TaggedItem._meta.getField('contentObject') as GenericForeignKey
    expect(field).toBeInstanceOf(GenericForeignKey)
    expect(field.isPrivate).toBe(true)
    expect(field.concrete).toBe(false)
    expect(field.editable).toBe(false)
    expect(field.isRelation).toBe(true)
    expect(field.column).toBe('')
    expect(String(field)).toBe('gfk.TaggedItem.contentObject')
    expect(TaggedItem._meta.privateFields).toEqual([field])
    expect(TaggedItem._meta.fields).not.toContain(field)
    expect(TaggedItem._meta.concreteFields).not.toContain(field)
    expect(field.contentTypeField).toBe(TaggedItem._meta.getField('contentType'))
    expect(field.objectIdField).toBe(TaggedItem._meta.getField('objectId'))
  })

  test("defaults: ctField 'contentType', fkField 'objectId', forConcreteModel true", () => {
    const field = new GenericForeignKey()
    expect(field.ctField).toBe('contentType')
    expect(field.fkField).toBe('objectId')
    expect(field.forConcreteModel).toBe(true)
    expect(new GenericForeignKey('a', 'b', { forConcreteModel: false }).forConcreteModel).toBe(false)
  })
})

describe('GenericForeignKey checks: contenttypes.E001–E004', () => {
  test('E001: the object id field does not exist', () => {
    const field = MissingObjectId._meta.getField('contentObject') as GenericForeignKey
    const errors = field.check()
    expect(summary(errors)).toEqual([
      { id: 'contenttypes.E001', msg: "The GenericForeignKey object ID references the nonexistent field 'objectId'.", hint: undefined },
    ])
    expect(errors[0]).toBeInstanceOf(CheckError)
    expect(errors[0]!.obj).toBe(field)
  })

  test('E002: the content type field does not exist (prefixed with the model name)', () => {
    const field = MissingContentType._meta.getField('contentObject') as GenericForeignKey
    const errors = field.check()
    expect(summary(errors)).toEqual([
      { id: 'contenttypes.E002', msg: "The GenericForeignKey content type references the nonexistent field 'MissingContentType.contentType'.", hint: undefined },
    ])
    expect(errors[0]!.obj).toBe(field)
  })

  test('E001 and E002 together, in that order', () => {
    const field = MissingBoth._meta.getField('contentObject') as GenericForeignKey
    expect(summary(field.check())).toEqual([
      { id: 'contenttypes.E001', msg: "The GenericForeignKey object ID references the nonexistent field 'objectId'.", hint: undefined },
      { id: 'contenttypes.E002', msg: "The GenericForeignKey content type references the nonexistent field 'MissingBoth.contentType'.", hint: undefined },
    ])
  })

  test('E003: the content type field is not a ForeignKey', () => {
    const field = NotAForeignKey._meta.getField('contentObject') as GenericForeignKey
    const errors = field.check()
    expect(summary(errors)).toEqual([{ id: 'contenttypes.E003', msg: "'NotAForeignKey.contentType' is not a ForeignKey.", hint: HINT }])
    expect(errors[0]!.obj).toBe(field)
  })

  test('E004: the content type field is a ForeignKey to another model', () => {
    const field = ForeignKeyToAnimal._meta.getField('contentObject') as GenericForeignKey
    const errors = field.check()
    expect(summary(errors)).toEqual([
      { id: 'contenttypes.E004', msg: "'ForeignKeyToAnimal.contentType' is not a ForeignKey to 'contenttypes.ContentType'.", hint: HINT },
    ])
    expect(errors[0]!.obj).toBe(field)
  })

  test('valid fields, with custom names, report nothing', () => {
    expect((ValidCustomNames._meta.getField('target') as GenericForeignKey).check()).toEqual([])
    expect((TaggedItem._meta.getField('contentObject') as GenericForeignKey).check()).toEqual([])
  })

  test('the field-name checks run first: a name ending with an underscore is fields.E001', () => {
    const field = BadName._meta.getField('contentObject_') as GenericForeignKey
    expect(summary(field.check())).toEqual([{ id: 'fields.E001', msg: 'Field names must not end with an underscore.', hint: undefined }])
  })
})

describeEachDialect('GenericForeignKey checks through runChecks()', INSTALLED, () => {
  test('the registered contenttypes check reports each broken GenericForeignKey once, with its field as obj', async () => {
    const messages = (await runChecks({ appConfigs: [checkApp] })).filter((m) => m.id?.startsWith('contenttypes.') || m.id === 'fields.E001')
    expect(messages.map((m) => `${String(m.obj)}: ${m.id}`).sort()).toEqual([
      'gfkcheck.BadName.contentObject_: fields.E001',
      'gfkcheck.ForeignKeyToAnimal.contentObject: contenttypes.E004',
      'gfkcheck.MissingBoth.contentObject: contenttypes.E001',
      'gfkcheck.MissingBoth.contentObject: contenttypes.E002',
      'gfkcheck.MissingContentType.contentObject: contenttypes.E002',
      'gfkcheck.MissingObjectId.contentObject: contenttypes.E001',
      'gfkcheck.NotAForeignKey.contentObject: contenttypes.E003',
    ])
    expect(messages.find((m) => m.id === 'contenttypes.E003')!.toString()).toBe(
      `gfkcheck.NotAForeignKey.contentObject: (contenttypes.E003) 'NotAForeignKey.contentType' is not a ForeignKey.\n\tHINT: ${HINT}`)
  })

  test('the installed apps have no GenericForeignKey errors', async () => {
    const messages = await runChecks()
    expect(messages.filter((m) => /^contenttypes\.E00[1-4]$/.test(m.id ?? ''))).toEqual([])
  })
}, WITH_OTHER)

describeEachDialect('GenericForeignKey: assignment', INSTALLED, () => {
  test('in the constructor: sets contentTypeId and objectId and caches the object (0 queries to read it back)', async () => {
    const lion = await Animal.objects.create({ name: 'Lion' })
    const ct = await ContentType.objects.getForModel(Animal)
    const { result: item, count } = await counted(async () => {
      const item = new TaggedItem({ tag: 'shiny', contentObject: lion })
      expect(item.contentTypeId).toBe(ct.id)
      expect(item.objectId).toBe(lion.pk)
      expect(await item.contentObject).toBe(lion)
      return item
    })
    expect(count).toBe(0)
    await item.save()
    const fresh = await TaggedItem.objects.get({ pk: item.pk })
    expect(fresh.contentTypeId).toBe(ct.id)
    expect(fresh.objectId).toBe(lion.pk)
  })

  test('by attribute: replaces both fields and the cached object', async () => {
    const lion = await Animal.objects.create({ name: 'Lion' })
    const carrot = await Vegetable.objects.create({ name: 'Carrot', isYucky: false })
    const [animalCt, vegetableCt] = [await ContentType.objects.getForModel(Animal), await ContentType.objects.getForModel(Vegetable)]
    const item = await TaggedItem.objects.create({ tag: 'orange', contentObject: lion })
    const { count } = await counted(async () => {
      item.contentObject = carrot
      expect(item.contentTypeId).toBe(vegetableCt.id)
      expect(item.objectId).toBe(carrot.pk)
      expect(await item.contentObject).toBe(carrot)
    })
    expect(count).toBe(0)
    await item.save()
    const fresh = await TaggedItem.objects.get({ pk: item.pk })
    expect([fresh.contentTypeId, fresh.objectId]).toEqual([vegetableCt.id, carrot.pk])
    expect(fresh.contentTypeId).not.toBe(animalCt.id)
  })

  test('with a cold content type cache: reading gives the assigned object and save() stores its content type', async () => {
    const lion = await Animal.objects.create({ name: 'Lion' })
    ContentType.objects.clearCache()
    const item = new TaggedItem({ tag: 'cold', contentObject: lion })
    expect(item.objectId).toBe(lion.pk)
    expect(await item.contentObject).toBe(lion)
    await item.save()
    const ct = await ContentType.objects.getForModel(Animal)
    expect(item.contentTypeId).toBe(ct.id)
    const fresh = await TaggedItem.objects.get({ pk: item.pk })
    expect(fresh.contentTypeId).toBe(ct.id)
    expect(await fresh.contentObject).toMatchObject({ pk: lion.pk, name: 'Lion' })
  })

  test('None: TaggedItem(contentObject=None) is allowed and clears both fields; reading gives null', async () => {
    const lion = await Animal.objects.create({ name: 'Lion' })
    const empty = new TaggedItem({ tag: 'none', contentObject: null })
    expect(empty.contentTypeId).toBeNull()
    expect(empty.objectId).toBeNull()
    expect(await empty.contentObject).toBeNull()
    const item = await TaggedItem.objects.create({ tag: 'x', contentObject: lion })
    item.contentObject = null
    expect(item.contentTypeId).toBeNull()
    expect(item.objectId).toBeNull()
    const { result, count } = await counted(async () => await item.contentObject)
    expect(result).toBeNull()
    expect(count).toBe(0)
  })

  test('getOrCreate(defaults: { contentObject }) and updateOrCreate(defaults: { contentObject })', async () => {
    const lion = await Animal.objects.create({ name: 'Lion' })
    const tiger = await Animal.objects.create({ name: 'Tiger' })
    const [created, wasCreated] = await TaggedItem.objects.getOrCreate({ tag: 'big-cat' }, { defaults: { contentObject: lion } })
    expect(wasCreated).toBe(true)
    expect(created.objectId).toBe(lion.pk)
    const [same, again] = await TaggedItem.objects.getOrCreate({ tag: 'big-cat' }, { defaults: { contentObject: tiger } })
    expect(again).toBe(false)
    expect(same.pk).toBe(created.pk)
    expect((await same.contentObject)!.pk).toBe(lion.pk)
    const [updated, createdByUpdate] = await TaggedItem.objects.updateOrCreate({ tag: 'big-cat' }, { defaults: { contentObject: tiger } })
    expect(createdByUpdate).toBe(false)
    expect(updated.objectId).toBe(tiger.pk)
    const fresh = await TaggedItem.objects.get({ pk: created.pk })
    expect(fresh.objectId).toBe(tiger.pk)
    expect(String(await fresh.contentObject)).toBe('Tiger')
  })
}, WITH_OTHER)

describeEachDialect('GenericForeignKey: reading and its cache rules', INSTALLED, () => {
  test('a loaded item fetches its target once (1 query with the content type cached), then reads the cache', async () => {
    const lion = await Animal.objects.create({ name: 'Lion' })
    const created = await TaggedItem.objects.create({ tag: 'x', contentObject: lion })
    const item = await TaggedItem.objects.get({ pk: created.pk })
    const first = await counted(async () => await item.contentObject)
    expect(first.count).toBe(1)
    expect(first.result).toBeInstanceOf(Animal)
    expect(first.result!.pk).toBe(lion.pk)
    const second = await counted(async () => await item.contentObject)
    expect(second.count).toBe(0)
    expect(second.result).toBe(first.result)
  })

  test('the content type is looked up by id on first use (one more query), then cached', async () => {
    const lion = await Animal.objects.create({ name: 'Lion' })
    const created = await TaggedItem.objects.create({ tag: 'x', contentObject: lion })
    ContentType.objects.clearCache()
    const item = await TaggedItem.objects.get({ pk: created.pk })
    const first = await counted(async () => await item.contentObject)
    expect(first.count).toBe(2)
    const other = await TaggedItem.objects.get({ pk: created.pk })
    const warm = await counted(async () => await other.contentObject)
    expect(warm.count).toBe(1)
  })

  test('a deleted target gives null; the fields keep their values; a second read is served by the cached None', async () => {
    const lion = await Animal.objects.create({ name: 'Lion' })
    const ct = await ContentType.objects.getForModel(Animal)
    const created = await TaggedItem.objects.create({ tag: 'x', contentObject: lion })
    const lionId = lion.pk
    await Animal.objects.filter({ pk: lionId }).delete()
    const item = await TaggedItem.objects.get({ pk: created.pk })
    const first = await counted(async () => await item.contentObject)
    expect(first.result).toBeNull()
    expect(first.count).toBe(1)
    const second = await counted(async () => await item.contentObject)
    expect(second.result).toBeNull()
    expect(second.count).toBe(0)
    expect(item.contentTypeId).toBe(ct.id)
    expect(item.objectId).toBe(lionId)
  })

  test('deleting the cached target itself: the next read notices (pk gone) and gives null', async () => {
    const lion = await Animal.objects.create({ name: 'Lion' })
    const item = await TaggedItem.objects.create({ tag: 'x', contentObject: lion })
    const lionId = lion.pk
    await lion.delete()
    expect(await item.contentObject).toBeNull()
    expect(item.objectId).toBe(lionId)
  })

  test('changing objectId after assignment refetches the new target', async () => {
    const lion = await Animal.objects.create({ name: 'Lion' })
    const tiger = await Animal.objects.create({ name: 'Tiger' })
    const item = await TaggedItem.objects.create({ tag: 'x', contentObject: lion })
    item.objectId = tiger.pk
    const read = await counted(async () => await item.contentObject)
    expect(read.count).toBe(1)
    expect(read.result!.pk).toBe(tiger.pk)
    expect(String(read.result)).toBe('Tiger')
  })

  test('changing contentType (or contentTypeId) after assignment refetches from the other model', async () => {
    const lion = await Animal.objects.create({ name: 'Lion' })
    const carrot = await Vegetable.objects.create({ pk: lion.pk, name: 'Carrot' })
    const vegetableCt = await ContentType.objects.getForModel(Vegetable)
    const item = await TaggedItem.objects.create({ tag: 'x', contentObject: lion })
    item.contentType = vegetableCt
    const read = await counted(async () => await item.contentObject)
    expect(read.count).toBe(1)
    expect(read.result).toBeInstanceOf(Vegetable)
    expect(read.result!.pk).toBe(carrot.pk)
    const animalCt = await ContentType.objects.getForModel(Animal)
    item.contentTypeId = animalCt.id
    const back = await item.contentObject
    expect(back).toBeInstanceOf(Animal)
    expect(String(back)).toBe('Lion')
  })

  test('switching to a model with another primary-key type does not compare keys across types', async () => {
    const number = await IntTarget.objects.create({ name: 'one' })
    const charTarget = await CharTarget.objects.create({ code: 'alpha', name: 'Alpha' })
    const charCt = await ContentType.objects.getForModel(CharTarget)
    const note = await TextNote.objects.create({ note: 'n', contentObject: number })
    note.contentTypeId = charCt.id
    note.objectId = 'alpha'
    const read = await note.contentObject
    expect(read).toBeInstanceOf(CharTarget)
    expect(read!.pk).toBe(charTarget.pk)
  })

  test('an object id the target key cannot take is an error, not null', async () => {
    await IntTarget.objects.create({ name: 'one' })
    const ct = await ContentType.objects.getForModel(IntTarget)
    const note = await TextNote.objects.create({ note: 'bad', contentType: ct, objectId: 'not-a-number' })
    const fresh = await TextNote.objects.get({ pk: note.pk })
    await expect(Promise.resolve(fresh.contentObject)).rejects.toThrow()
  })

  test('the base manager is used: a default manager hiding the row does not hide the target', async () => {
    const draft = await Article.objects.create({ title: 'Draft', published: false })
    expect(await Article.objects.filter({ pk: draft.pk }).count()).toBe(0)
    const created = await TaggedItem.objects.create({ tag: 'draft', contentObject: draft })
    const item = await TaggedItem.objects.get({ pk: created.pk })
    const read = await item.contentObject
    expect(read).toBeInstanceOf(Article)
    expect(String(read)).toBe('Draft')
    // Prefetching too.
    const [prefetched] = await TaggedItem.objects.filter({ pk: created.pk }).prefetchRelated('contentObject')
    const viaPrefetch = await counted(async () => await prefetched!.contentObject)
    expect(viaPrefetch.count).toBe(0)
    expect(String(viaPrefetch.result)).toBe('Draft')
  })

  test('refreshFromDb() clears the cached target; refreshFromDb({ fields: [other] }) keeps it; naming the field clears it', async () => {
    const lion = await Animal.objects.create({ name: 'Lion' })
    const item = await TaggedItem.objects.create({ tag: 'x', contentObject: lion })
    await item.refreshFromDb({ fields: ['tag'] })
    expect(await counted(async () => await item.contentObject)).toMatchObject({ count: 0, result: lion })
    await item.refreshFromDb({ fields: ['contentObject'] })
    const afterNamed = await counted(async () => await item.contentObject)
    expect(afterNamed.count).toBe(1)
    expect(afterNamed.result).not.toBe(lion)
    const before = afterNamed.result
    await item.refreshFromDb()
    const afterAll = await counted(async () => await item.contentObject)
    expect(afterAll.count).toBe(1)
    expect(afterAll.result).not.toBe(before)
    expect(afterAll.result!.pk).toBe(lion.pk)
  })

  test("loading a deferred field does not clear the cached target", async () => {
    const lion = await Animal.objects.create({ name: 'Lion' })
    const created = await TaggedItem.objects.create({ tag: 'deferred', contentObject: lion })
    const [item] = await TaggedItem.objects.filter({ pk: created.pk }).defer('tag')
    const target = await item!.contentObject
    expect(await (item!.tag as unknown as Promise<string>)).toBe('deferred')
    const again = await counted(async () => await item!.contentObject)
    expect(again.count).toBe(0)
    expect(again.result).toBe(target)
  })
}, WITH_OTHER)

describeEachDialect("GenericForeignKey: the instance's database", INSTALLED, () => {
  test("a read uses the instance's database for the content type and the object", async () => {
    // Different content type ids on the two databases, and a same-pk animal on each.
    await ContentType.objects.dbManager('other').getForModel(Vegetable)
    await ContentType.objects.dbManager('other').getForModel(Article)
    const here = await Animal.objects.create({ name: 'Default lion' })
    const there = await Animal.objects.using('other').create({ name: 'Other lion' })
    expect(there.pk).toBe(here.pk)
    const created = await TaggedItem.objects.using('other').create({ tag: 'x', contentObject: there })
    const otherCt = await ContentType.objects.dbManager('other').getForModel(Animal)
    expect(created.contentTypeId).toBe(otherCt.id)
    const item = await TaggedItem.objects.using('other').get({ pk: created.pk })
    expect(item._state.db).toBe('other')
    ContentType.objects.clearCache()
    const { result, queries } = await captureQueries(async () => await item.contentObject)
    expect(String(result)).toBe('Other lion')
    expect(result!._state.db).toBe('other')
    expect(queries.every((q) => q.alias === 'other')).toBe(true)
  })

  test("an unsaved instance with no database adopts the target's database and saves there", async () => {
    await ContentType.objects.dbManager('other').getForModel(Vegetable)
    const there = await Animal.objects.using('other').create({ name: 'Other lion' })
    await ContentType.objects.dbManager('other').getForModel(Animal)
    const item = new TaggedItem({ tag: 'moved', contentObject: there })
    expect(item._state.db).toBe('other')
    await item.save()
    expect(await TaggedItem.objects.using('other').filter({ tag: 'moved' }).count()).toBe(1)
    expect(await TaggedItem.objects.filter({ tag: 'moved' }).count()).toBe(0)
    expect(item.contentTypeId).toBe((await ContentType.objects.dbManager('other').getForModel(Animal)).id)
  })
}, WITH_OTHER)

describeEachDialect('GenericForeignKey: unsaved targets, lookups', INSTALLED, () => {
  test("save() with an unsaved target: \"save() prohibited to prevent data loss due to unsaved related object 'contentObject'.\"", async () => {
    await ContentType.objects.getForModel(Animal)
    const item = new TaggedItem({ tag: 'unsaved', contentObject: new Animal({ name: 'Ghost' }) })
    expect(item.objectId).toBeNull()
    const error = await errorOf(() => item.save())
    expect(error.message).toBe("save() prohibited to prevent data loss due to unsaved related object 'contentObject'.")
    expect(await TaggedItem.objects.count()).toBe(0)
  })

  test("bulkCreate() with an unsaved target: \"bulkCreate() prohibited to prevent data loss due to unsaved related object 'contentObject'.\"", async () => {
    const lion = await Animal.objects.create({ name: 'Lion' })
    const items = [
      new TaggedItem({ tag: 'saved', contentObject: lion }),
      new TaggedItem({ tag: 'unsaved', contentObject: new Animal({ name: 'Ghost' }) }),
    ]
    const error = await errorOf(() => TaggedItem.objects.bulkCreate(items))
    expect(error.message).toBe("bulkCreate() prohibited to prevent data loss due to unsaved related object 'contentObject'.")
    expect(await TaggedItem.objects.count()).toBe(0)
  })

  test('a target saved after assignment: the object id was not copied (Django 5.2), so the NOT NULL object id refuses the save', async () => {
    const ghost = new Animal({ name: 'Ghost' })
    const item = new TaggedItem({ tag: 'late', contentObject: ghost })
    await ghost.save()
    expect(item.objectId).toBeNull()
    const error = await errorOf(() => item.save())
    expect(error).toBeInstanceOf(IntegrityError)
    expect(await TaggedItem.objects.count()).toBe(0)
  })

  test('bulkCreate() with saved targets stores every content type and object id', async () => {
    const lion = await Animal.objects.create({ name: 'Lion' })
    const carrot = await Vegetable.objects.create({ name: 'Carrot' })
    ContentType.objects.clearCache()
    await TaggedItem.objects.bulkCreate([
      new TaggedItem({ tag: 'a', contentObject: lion }),
      new TaggedItem({ tag: 'v', contentObject: carrot }),
    ])
    const rows = await TaggedItem.objects.all().orderBy('tag')
    expect(rows.map((r) => [r.tag, r.contentTypeId, r.objectId])).toEqual([
      ['a', (await ContentType.objects.getForModel(Animal)).id, lion.pk],
      ['v', (await ContentType.objects.getForModel(Vegetable)).id, carrot.pk],
    ])
  })

  test('filter/exclude/get({ contentObject: x }) throw FieldError with Django\'s message', async () => {
    const lion = await Animal.objects.create({ name: 'Lion' })
    await TaggedItem.objects.create({ tag: 'x', contentObject: lion })
    for (const attempt of [
      () => TaggedItem.objects.filter({ contentObject: lion }),
      () => TaggedItem.objects.exclude({ contentObject: lion }),
      () => TaggedItem.objects.get({ contentObject: '' }),
      () => TaggedItem.objects.filter({ contentObject__name: 'Lion' }),
    ]) {
      const error = await errorOf(attempt)
      expect(error).toBeInstanceOf(FieldError)
      expect(error.message).toBe(REVERSE_QUERY_ERROR)
    }
  })

  test('selectRelated("contentObject") is refused: only the content type foreign key is a choice', async () => {
    const error = await errorOf(() => TaggedItem.objects.selectRelated('contentObject'))
    expect(error).toBeInstanceOf(FieldError)
    expect(error.message).toContain("'contentObject'")
    expect(error.message).toMatch(/Choices are: contentType$/)
  })
}, WITH_OTHER)

describeEachDialect('GenericForeignKey: prefetchRelated', INSTALLED, () => {
  test('one query for the items and one per content type; each item gets its own target; null ids are skipped', async () => {
    const lion = await Animal.objects.create({ name: 'Lion' })
    const tiger = await Animal.objects.create({ name: 'Tiger' })
    const carrot = await Vegetable.objects.create({ name: 'Carrot' })
    const article = await Article.objects.create({ title: 'Hidden' })
    await TaggedItem.objects.create({ tag: 'a1', contentObject: lion })
    await TaggedItem.objects.create({ tag: 'a2', contentObject: tiger })
    await TaggedItem.objects.create({ tag: 'a3', contentObject: lion })
    await TaggedItem.objects.create({ tag: 'v1', contentObject: carrot })
    await TaggedItem.objects.create({ tag: 'r1', contentObject: article })
    const { result: items, queries } = await captureQueries(() => TaggedItem.objects.prefetchRelated('contentObject').orderBy('tag').fetch())
    expect(queries).toHaveLength(4)
    const reads = await counted(async () => {
      const out: string[] = []
      for (const item of items) out.push(`${item.tag}=${String(await item.contentObject)}`)
      return out
    })
    expect(reads.count).toBe(0)
    expect(reads.result).toEqual(['a1=Lion', 'a2=Tiger', 'a3=Lion', 'r1=Hidden', 'v1=Carrot'])
    expect(await items[0]!.contentObject).toBe(await items[2]!.contentObject)
  })

  test('a deleted target is prefetched as null', async () => {
    const lion = await Animal.objects.create({ name: 'Lion' })
    const tiger = await Animal.objects.create({ name: 'Tiger' })
    await TaggedItem.objects.create({ tag: 'gone', contentObject: lion })
    await TaggedItem.objects.create({ tag: 'here', contentObject: tiger })
    await Animal.objects.filter({ pk: lion.pk }).delete()
    const items = await TaggedItem.objects.prefetchRelated('contentObject').orderBy('tag')
    const reads = await counted(async () => [await items[0]!.contentObject, await items[1]!.contentObject])
    expect(reads.count).toBe(0)
    expect(reads.result[0]).toBeNull()
    expect(String(reads.result[1])).toBe('Tiger')
  })

  test('prefetchRelatedObjects() on loaded items, and a GenericPrefetch queryset for one type', async () => {
    const lion = await Animal.objects.create({ name: 'Lion' })
    const carrot = await Vegetable.objects.create({ name: 'Carrot' })
    await TaggedItem.objects.create({ tag: 'a', contentObject: lion })
    await TaggedItem.objects.create({ tag: 'v', contentObject: carrot })
    const items = await TaggedItem.objects.all().orderBy('tag')
    const { count } = await counted(() => prefetchRelatedObjects(items, 'contentObject'))
    expect(count).toBe(2)
    expect(String(await items[0]!.contentObject)).toBe('Lion')
    const custom = await TaggedItem.objects.prefetchRelated(new GenericPrefetch('contentObject', [Vegetable.objects.filter({ isYucky: false })])).orderBy('tag')
    expect(String(await custom[0]!.contentObject)).toBe('Lion')
    // The carrot is yucky: the custom queryset filtered it out.
    const missing = await counted(async () => await custom[1]!.contentObject)
    expect(missing.result).toBeNull()
    expect(missing.count).toBe(0)
  })
}, WITH_OTHER)

// ---------------------------------------------------------------------------------------------
// Object ids of every primary-key type
// ---------------------------------------------------------------------------------------------

type NoteModel = typeof IntNote | typeof CharNote | typeof TextNote
type TargetModel = typeof IntTarget | typeof UuidTarget | typeof CharTarget

interface Combination {
  label: string
  note: NoteModel
  target: TargetModel
  relation: 'intNotes' | 'charNotes' | 'textNotes'
}

const combinations: Combination[] = [
  { label: 'integer object id → integer key', note: IntNote, target: IntTarget, relation: 'intNotes' },
  { label: 'char object id → integer key', note: CharNote, target: IntTarget, relation: 'charNotes' },
  { label: 'char object id → UUID key', note: CharNote, target: UuidTarget, relation: 'charNotes' },
  { label: 'char object id → char key', note: CharNote, target: CharTarget, relation: 'charNotes' },
  { label: 'text object id → integer key', note: TextNote, target: IntTarget, relation: 'textNotes' },
  { label: 'text object id → UUID key', note: TextNote, target: UuidTarget, relation: 'textNotes' },
  { label: 'text object id → char key', note: TextNote, target: CharTarget, relation: 'textNotes' },
]

let charCodes = 0
/** A target of a model; char keys are '1', '2'… so they collide, as text, with integer keys. */
async function makeTarget(model: TargetModel, name: string): Promise<Model & { name: string }> {
  if (model === CharTarget) return CharTarget.objects.create({ code: String(++charCodes), name })
  return (model as typeof IntTarget).objects.create({ name }) as Promise<Model & { name: string }>
}

async function makeNote(model: NoteModel, note: string, target: Model): Promise<Model & { note: string; objectId: unknown }> {
  return (model as typeof TextNote).objects.create({ note, contentObject: target })
}

function managerOf(target: Model, relation: Combination['relation']): { all(): PromiseLike<Array<{ note: string }>>; count(): Promise<number> } {
  return (target as any)[relation]
}

describeEachDialect('object ids of any primary-key type', INSTALLED, () => {
  beforeEach(() => { charCodes = 0 })

  for (const combo of combinations) {
    describe(combo.label, () => {
      test('assignment stores the key (as text in text columns); a fresh read gives the target back', async () => {
        const target = await makeTarget(combo.target, 'first')
        const note = await makeNote(combo.note, 'n1', target)
        const fresh = await (combo.note as typeof TextNote).objects.get({ pk: note.pk })
        if (combo.note === IntNote) expect(fresh.objectId).toBe(target.pk)
        else expect(fresh.objectId).toBe(String(target.pk))
        const read = await fresh.contentObject
        expect(read).toBeInstanceOf(combo.target)
        expect(read!.pk).toBe(target.pk)
        expect(String(read)).toBe('first')
      })

      test('prefetchRelated("contentObject") matches each note to its target in one query for the type', async () => {
        const a = await makeTarget(combo.target, 'a')
        const b = await makeTarget(combo.target, 'b')
        await makeNote(combo.note, 'na', a)
        await makeNote(combo.note, 'nb', b)
        await makeNote(combo.note, 'na2', a)
        const { result: notes, count } = await counted(() => (combo.note as typeof TextNote).objects.prefetchRelated('contentObject').orderBy('note').fetch())
        expect(count).toBe(2)
        const reads = await counted(async () => {
          const out: string[] = []
          for (const n of notes) out.push(`${n.note}=${String(await n.contentObject)}`)
          return out
        })
        expect(reads.count).toBe(0)
        expect(reads.result).toEqual(['na=a', 'na2=a', 'nb=b'])
      })

      test('the GenericRelation manager, filter and exclude across it, and a Count annotation', async () => {
        const a = await makeTarget(combo.target, 'a')
        const b = await makeTarget(combo.target, 'b')
        const c = await makeTarget(combo.target, 'c')
        await makeNote(combo.note, 'red', a)
        await makeNote(combo.note, 'blue', a)
        await makeNote(combo.note, 'red', b)
        const targets = combo.target.objects as Manager<Model & { name: string }>
        expect((await managerOf(a, combo.relation).all()).map((n) => n.note).sort()).toEqual(['blue', 'red'])
        expect(await managerOf(c, combo.relation).count()).toBe(0)
        const names = (rows: Array<{ name: string }>) => rows.map((r) => r.name).sort()
        expect(names(await targets.filter({ [`${combo.relation}__note`]: 'red' }))).toEqual(['a', 'b'])
        expect(names(await targets.filter({ [`${combo.relation}__note`]: 'blue' }))).toEqual(['a'])
        expect(names(await targets.exclude({ [`${combo.relation}__note`]: 'blue' }))).toEqual(['b', 'c'])
        expect(names(await targets.exclude({ [`${combo.relation}__note`]: 'red' }))).toEqual(['c'])
        expect(names(await targets.filter({ [`${combo.relation}__isnull`]: true }))).toEqual(['c'])
        const annotated = await targets.annotate({ n: Count(combo.relation) }).orderBy('name')
        expect(annotated.map((t) => [t.name, t.n])).toEqual([['a', 2], ['b', 1], ['c', 0]])
      })

      test('deleting a target deletes its notes, and only its notes', async () => {
        const a = await makeTarget(combo.target, 'a')
        const b = await makeTarget(combo.target, 'b')
        await makeNote(combo.note, 'of-a', a)
        await makeNote(combo.note, 'of-a-too', a)
        await makeNote(combo.note, 'of-b', b)
        const [, perModel] = await a.delete()
        expect(perModel[combo.note._meta.label]).toBe(2)
        expect(perModel[combo.target._meta.label]).toBe(1)
        const left = await (combo.note as typeof TextNote).objects.all()
        expect(left.map((n) => n.note)).toEqual(['of-b'])
      })
    })
  }

  for (const noteModel of [CharNote, TextNote]) {
    const name = noteModel._meta.objectName
    describe(`${name}: integer, UUID and char keys at once (the same text id on several types)`, () => {
      async function mixed() {
        const int1 = await IntTarget.objects.create({ name: 'int-1' })
        const int2 = await IntTarget.objects.create({ name: 'int-2' })
        const uuid = await UuidTarget.objects.create({ name: 'uuid' })
        // Char keys equal to the integer keys, as text.
        const char1 = await CharTarget.objects.create({ code: String(int1.pk), name: 'char-1' })
        const charX = await CharTarget.objects.create({ code: 'x', name: 'char-x' })
        const notes = (noteModel as typeof TextNote).objects
        for (const [note, target] of [['on-int-1', int1], ['on-int-2', int2], ['on-uuid', uuid], ['on-char-1', char1], ['on-char-x', charX]] as const) {
          await notes.create({ note, contentObject: target })
        }
        return { int1, int2, uuid, char1, charX }
      }

      test('each note reads and prefetches its own target: 1 query + 1 per content type', async () => {
        await mixed()
        const notes = (noteModel as typeof TextNote).objects
        const fresh = await notes.all().orderBy('note')
        const direct: string[] = []
        for (const n of fresh) direct.push(`${n.note}=${String(await n.contentObject)}`)
        const expected = ['on-char-1=char-1', 'on-char-x=char-x', 'on-int-1=int-1', 'on-int-2=int-2', 'on-uuid=uuid']
        expect(direct).toEqual(expected)
        const { result: prefetched, count } = await counted(() => notes.prefetchRelated('contentObject').orderBy('note').fetch())
        expect(count).toBe(4)
        const reads = await counted(async () => {
          const out: string[] = []
          for (const n of prefetched) out.push(`${n.note}=${String(await n.contentObject)}`)
          return out
        })
        expect(reads.count).toBe(0)
        expect(reads.result).toEqual(expected)
        const classes = await Promise.all(prefetched.map(async (n) => (await n.contentObject)!.constructor))
        expect(classes).toEqual([CharTarget, CharTarget, IntTarget, IntTarget, UuidTarget])
      })

      test('prefetching with a cold content type cache: the types in one query (1 + 1 + 1 per type)', async () => {
        await mixed()
        ContentType.objects.clearCache()
        const notes = (noteModel as typeof TextNote).objects
        const { result, queries } = await counted(() => notes.prefetchRelated('contentObject').orderBy('note').fetch())
        expect(queries.length).toBe(5)
        expect(queries[1]!.sql).toContain('django_content_type')
        expect(result.map((n) => String(n._state.fieldsCache.contentObject))).toEqual(['char-1', 'char-x', 'int-1', 'int-2', 'uuid'])
      })

      test('joins through each relation keep to their own content type', async () => {
        const relation = noteModel === CharNote ? 'charNotes' : 'textNotes'
        await mixed()
        const intNames = (await IntTarget.objects.filter({ [`${relation}__note__startswith`]: 'on-' })).map((t) => t.name).sort()
        expect(intNames).toEqual(['int-1', 'int-2'])
        const charNames = (await CharTarget.objects.filter({ [`${relation}__note__startswith`]: 'on-' })).map((t) => t.name).sort()
        expect(charNames).toEqual(['char-1', 'char-x'])
        expect((await CharTarget.objects.filter({ [`${relation}__note`]: 'on-int-1' })).map((t) => t.name)).toEqual([])
        expect((await IntTarget.objects.exclude({ [`${relation}__note`]: 'on-char-1' })).map((t) => t.name).sort()).toEqual(['int-1', 'int-2'])
        expect((await UuidTarget.objects.filter({ [`${relation}__note`]: 'on-uuid' })).map((t) => t.name)).toEqual(['uuid'])
        const counts = await IntTarget.objects.annotate({ n: Count(relation) }).orderBy('name')
        expect(counts.map((t) => [t.name, t.n])).toEqual([['int-1', 1], ['int-2', 1]])
        const charCounts = await CharTarget.objects.annotate({ n: Count(relation) }).orderBy('name')
        expect(charCounts.map((t) => [t.name, t.n])).toEqual([['char-1', 1], ['char-x', 1]])
        expect(await IntTarget.objects.aggregate(Count(relation))).toEqual({ [`${relation}__count`]: 2 })
      })

      test('deleting the integer target does not touch the char target with the same id', async () => {
        const { int1 } = await mixed()
        await int1.delete()
        const notes = (noteModel as typeof TextNote).objects
        expect((await notes.all().orderBy('note')).map((n) => n.note)).toEqual(['on-char-1', 'on-char-x', 'on-int-2', 'on-uuid'])
        const char1 = await CharTarget.objects.get({ code: '1' })
        await char1.delete()
        expect((await notes.all().orderBy('note')).map((n) => n.note)).toEqual(['on-char-x', 'on-int-2', 'on-uuid'])
        const uuid = await UuidTarget.objects.get({ name: 'uuid' })
        await UuidTarget.objects.filter({ pk: uuid.pk }).delete()
        expect((await notes.all().orderBy('note')).map((n) => n.note)).toEqual(['on-char-x', 'on-int-2'])
        // Querysets of owners whose keys are not of the object id's type (loaded, then matched as text).
        await CharTarget.objects.filter({ code: 'x' }).delete()
        await IntTarget.objects.filter({ name: 'int-2' }).delete()
        expect(await notes.count()).toBe(0)
      })
    })
  }

  test('a char key that is the empty string works as a target', async () => {
    const blank = await CharTarget.objects.create({ code: '', name: 'blank' })
    const note = await TextNote.objects.create({ note: 'on-blank', contentObject: blank })
    expect(note.objectId).toBe('')
    const fresh = await TextNote.objects.get({ pk: note.pk })
    expect(String(await fresh.contentObject)).toBe('blank')
    const [prefetched] = await TextNote.objects.prefetchRelated('contentObject')
    expect(String(await prefetched!.contentObject)).toBe('blank')
    expect(await blank.textNotes.count()).toBe(1)
  })
}, WITH_OTHER)
