/**
 * Every update operator on the examples its MongoDB manual page gives (the page is named per
 * case, "Manual: $push" = https://www.mongodb.com/docs/manual/reference/operator/update/push/),
 * plus the refusals the server's operator classes make (src/mongo/db/update/<op>_node.cpp).
 * Each case starts from one document, applies one update and compares the whole document, or
 * the error code.
 */
import { expect } from 'chai';
import type { Document } from 'mongodb';
import type { Target } from './target.ts';

interface Case {
  readonly label: string;
  readonly source: string;
  readonly doc: Document;
  readonly update: Document;
  readonly query?: Document;
  /** The whole document after the update, or the error code the update fails with. */
  readonly expected: Document | number;
}

const cases: readonly Case[] = [
  {
    label: '$push with $each, $sort on a field and $slice',
    source: 'Manual: $push, "Use $push Operator with Multiple Modifiers"',
    doc: {
      _id: 5,
      quizzes: [
        { wk: 1, score: 10 },
        { wk: 2, score: 8 },
        { wk: 3, score: 5 },
        { wk: 4, score: 6 },
      ],
    },
    update: {
      $push: {
        quizzes: {
          $each: [
            { wk: 5, score: 8 },
            { wk: 6, score: 7 },
            { wk: 7, score: 6 },
          ],
          $sort: { score: -1 },
          $slice: 3,
        },
      },
    },
    expected: {
      _id: 5,
      quizzes: [
        { wk: 1, score: 10 },
        { wk: 2, score: 8 },
        { wk: 5, score: 8 },
      ],
    },
  },
  {
    label: '$push with a negative $position',
    source:
      'Manual: $position, "Use a Negative Array Index (Position) to Add Elements to the Array"',
    doc: { _id: 3, scores: [50, 60, 20, 30, 70, 100] },
    update: { $push: { scores: { $each: [90, 80], $position: -2 } } },
    expected: { _id: 3, scores: [50, 60, 20, 30, 90, 80, 70, 100] },
  },
  {
    label: '$push creates the array when missing',
    source:
      'Manual: $push, "If the field is absent in the document to update, $push adds the array field"',
    doc: { _id: 1 },
    update: { $push: { scores: 89 } },
    expected: { _id: 1, scores: [89] },
  },
  {
    label: '$addToSet with $each adds only what is missing',
    source: 'Manual: $addToSet, "Use $each Modifier"',
    doc: { _id: 2, item: 'cable', tags: ['electronics', 'supplies'] },
    update: { $addToSet: { tags: { $each: ['camera', 'electronics', 'accessories'] } } },
    expected: { _id: 2, item: 'cable', tags: ['electronics', 'supplies', 'camera', 'accessories'] },
  },
  {
    label: '$pop -1 removes the first element',
    source: 'Manual: $pop, "Remove the First Item of an Array"',
    doc: { _id: 1, scores: [8, 9, 10] },
    update: { $pop: { scores: -1 } },
    expected: { _id: 1, scores: [9, 10] },
  },
  {
    label: '$pull with a condition on the elements',
    source: 'Manual: $pull, "Remove All Items That Match a Specified $pull Condition"',
    doc: { _id: 1, votes: [3, 5, 6, 7, 7, 8] },
    update: { $pull: { votes: { $gte: 6 } } },
    expected: { _id: 1, votes: [3, 5] },
  },
  {
    label: '$pull with a query on documents, $or included',
    source:
      'pull_node.cpp: a document whose first field is not a path operator ($or) is a query on document elements',
    doc: { _id: 1, items: [{ a: 1 }, { b: 2 }, { c: 3 }, 4] },
    update: { $pull: { items: { $or: [{ a: 1 }, { b: 2 }] } } },
    expected: { _id: 1, items: [{ c: 3 }, 4] },
  },
  {
    label: '$pull of documents matching several fields',
    source: 'Manual: $pull, "Remove Items from an Array of Documents"',
    doc: {
      _id: 1,
      results: [
        { item: 'A', score: 5 },
        { item: 'B', score: 8 },
        { item: 'B', score: 4 },
      ],
    },
    update: { $pull: { results: { score: 8, item: 'B' } } },
    expected: {
      _id: 1,
      results: [
        { item: 'A', score: 5 },
        { item: 'B', score: 4 },
      ],
    },
  },
  {
    label: '$pullAll removes every listed value',
    source: 'Manual: $pullAll, example',
    doc: { _id: 1, scores: [0, 2, 5, 5, 1, 0] },
    update: { $pullAll: { scores: [0, 5] } },
    expected: { _id: 1, scores: [2, 1] },
  },
  {
    label: '$bit and, or, xor',
    source: 'Manual: $bit, "Bitwise AND", "Bitwise OR", "Bitwise XOR"',
    doc: { _id: 1, a: 13, b: 3, c: 1 },
    update: { $bit: { a: { and: 10 }, b: { or: 5 }, c: { xor: 5 } } },
    expected: { _id: 1, a: 8, b: 7, c: 4 },
  },
  {
    label: '$min and $max compare, $mul multiplies and makes 0 of a missing field',
    source:
      'Manual: $min "Use $min to Compare Numbers", $max, $mul "Apply $mul Operator to a Non-existing Field"',
    doc: { _id: 1, highScore: 800, lowScore: 200, price: 10.5 },
    update: {
      $min: { lowScore: 150 },
      $max: { highScore: 950 },
      $mul: { price: 1.25, missing: 100 },
    },
    expected: { _id: 1, highScore: 950, lowScore: 150, price: 13.125, missing: 0 },
  },
  {
    label: '$rename moves a field to the end',
    source: 'Manual: $rename, "Rename a Field"',
    doc: { _id: 1, nmae: { first: 'george', last: 'washington' }, born: 1732 },
    update: { $rename: { nmae: 'name' } },
    expected: { _id: 1, born: 1732, name: { first: 'george', last: 'washington' } },
  },
  {
    label: 'a $rename source and a path below it conflict',
    source: 'update_object_node.cpp parseAndMerge: the source path holds a ConflictPlaceholderNode',
    doc: { _id: 1, nmae: { first: 'george' } },
    update: { $rename: { nmae: 'name', 'nmae.first': 'fname' } },
    expected: 40,
  },
  {
    label: '$rename of a nested field',
    source: 'Manual: $rename, "Rename a Field in an Embedded Document"',
    doc: { _id: 1, name: { first: 'george', last: 'washington' } },
    update: { $rename: { 'name.first': 'name.fname' } },
    expected: { _id: 1, name: { last: 'washington', fname: 'george' } },
  },
  {
    label: '$rename of a missing field does nothing',
    source: 'Manual: $rename, "Rename a Field That Does Not Exist"',
    doc: { _id: 1, a: 1 },
    update: { $rename: { wife: 'spouse' } },
    expected: { _id: 1, a: 1 },
  },
  {
    label: '$rename out of an array element is refused',
    source: 'rename_node.cpp: "The source field cannot be an array element" (BadValue)',
    doc: { _id: 1, a: [{ b: 1 }] },
    update: { $rename: { 'a.0.b': 'c' } },
    expected: 2,
  },
  {
    label: '$rename through an array by name is not a viable path',
    source: 'path_support.cpp findLongestPrefix: a named part on an array is PathNotViable',
    doc: { _id: 1, a: [{ b: 1 }] },
    update: { $rename: { 'a.b': 'c' } },
    expected: 28,
  },
  {
    label: '$rename onto itself or along its own path is refused',
    source: 'rename_node.cpp init: "must differ", "must not be on the same path"',
    doc: { _id: 1, a: { b: 1 } },
    update: { $rename: { a: 'a.c' } },
    expected: 2,
  },
  {
    label: '$unset of an array element leaves null in its place',
    source:
      'Manual: $unset, "When used with $ to match an array element, $unset replaces the matching element with null"',
    doc: { _id: 1, a: [1, 2, 3] },
    query: { _id: 1, a: 2 },
    update: { $unset: { 'a.$': '' } },
    expected: { _id: 1, a: [1, null, 3] },
  },
  {
    label: '$set past the end of an array pads with null',
    source: 'path_support.cpp createPathAt: maybePadTo appends nulls',
    doc: { _id: 1, a: [1] },
    update: { $set: { 'a.3': 9 } },
    expected: { _id: 1, a: [1, null, null, 9] },
  },
  {
    label: '$pop with something else than 1 or -1',
    source: 'pop_node.cpp init: "$pop expects 1 or -1" (FailedToParse)',
    doc: { _id: 1, a: [1] },
    update: { $pop: { a: 2 } },
    expected: 9,
  },
  {
    label: '$bit with an unknown operation',
    source:
      "bit_node.cpp init: \"The $bit modifier only supports 'and', 'or', and 'xor'\" (BadValue)",
    doc: { _id: 1, a: 1 },
    update: { $bit: { a: { nand: 1 } } },
    expected: 2,
  },
  {
    label: '$[] on a missing array',
    source:
      'update_array_node.cpp: "must exist in the document in order to apply array updates" (BadValue)',
    doc: { _id: 1 },
    update: { $set: { 'a.$[]': 1 } },
    expected: 2,
  },
];

export function updateOperatorCases(target: Target): void {
  for (const { label, source, doc, update, query, expected } of cases) {
    it(`${label} (${source})`, async () => {
      const collection = target.collection('c');
      await collection.insertOne(doc);
      const error = await collection.updateOne(query ?? { _id: doc._id as number }, update).then(
        () => undefined,
        (e: unknown) => e as { code?: number },
      );
      if (typeof expected === 'number') {
        expect(error?.code, 'error code').to.equal(expected);
        expect(await collection.findOne({ _id: doc._id as number })).to.deep.equal(doc);
      } else {
        expect(error, 'no error').to.equal(undefined);
        expect(await collection.findOne({ _id: doc._id as number })).to.deep.equal(expected);
      }
    });
  }
}
