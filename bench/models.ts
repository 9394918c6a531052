/**
 * The benchmark schema of ../shared/bench/WORKLOADS.md (app label `bench`).
 *
 * `floor` (the default) declares the tables as raw_floor.mjs creates them: one index on the tagged
 * items, (content_type, object_id), which is what WORKLOADS.md names, so the ratios to the floor
 * compare the work of the two programs and not the upkeep of indexes only one of them has.
 * `django` keeps Django's defaults as django_reference/run.py creates them: the slug `tag` and the
 * `content_type` key are indexed too (on PostgreSQL, the slug twice).
 */
import { CASCADE, Model, defineApp, fields as f } from '../src/db/index.ts'
import { ContentType, GenericForeignKey, GenericRelation } from '../src/contenttypes/index.ts'

export type BenchSchema = 'floor' | 'django'

export function defineBenchModels(schema: BenchSchema) {
  const djangoIndexes = schema === 'django'

  class TaggedItem extends Model.define('bench.TaggedItem', {
    tag: f.slug({ dbIndex: djangoIndexes }),
    contentType: f.foreignKey(() => ContentType, { onDelete: CASCADE, dbIndex: djangoIndexes }),
    objectId: f.positiveInteger(),
    contentObject: new GenericForeignKey('contentType', 'objectId'),
  }, { indexes: [{ fields: ['contentType', 'objectId'] }] }) {}

  class Bookmark extends Model.define('bench.Bookmark', {
    url: f.url(),
    tags: new GenericRelation(() => TaggedItem, { relatedQueryName: 'bookmark' }),
  }) {}

  class Animal extends Model.define('bench.Animal', {
    name: f.char({ maxLength: 100 }),
    weight: f.integer(),
    tags: new GenericRelation(() => TaggedItem, { relatedQueryName: 'animal' }),
  }) {}

  class Note extends Model.define('bench.Note', {
    text: f.text(),
    tags: new GenericRelation(() => TaggedItem, { relatedQueryName: 'note' }),
  }) {}

  const benchApp = defineApp({ label: 'bench', models: [TaggedItem, Bookmark, Animal, Note] })
  return { TaggedItem, Bookmark, Animal, Note, benchApp }
}
