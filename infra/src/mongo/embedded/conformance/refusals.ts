/**
 * What a standalone mongod 7 refuses, refused the same way here, never answered `ok: 1` with
 * the option ignored: unknown command fields, read and write concerns a standalone cannot
 * honour, commitQuorum, and hints to sparse indexes (which change the result). Collations are
 * conformance/collation.ts's. Each case names where its expected outcome comes from.
 */
import { expect } from 'chai';
import { Timestamp, type Document } from 'mongodb';
import { serverError, type Target } from './target.ts';

export function refusalCases(target: Target): void {
  const run = (command: Document) => target.database().command(command);

  describe('unknown command fields', () => {
    // src/mongo/db/query/find_command.idl and ops/write_ops.idl are `strict: true`: the IDL
    // parser (idl/idl_parser.cpp, throwUnknownField) answers 40415 naming the field.
    it('find with a field it does not know answers 40415, naming it', async () => {
      const error = await serverError(run({ find: 'c', bogusOpt: 1 }));
      expect(error.code).to.equal(40415);
      expect(error.message).to.equal("BSON field 'find.bogusOpt' is an unknown field.");
    });

    it('an update statement with a field it does not know answers 40415 and writes nothing', async () => {
      await target.collection('c').insertOne({ _id: 1, a: 1 });
      const error = await serverError(
        run({ update: 'c', updates: [{ q: { _id: 1 }, u: { $set: { a: 2 } }, bogus: 1 }] }),
      );
      expect(error.code).to.equal(40415);
      expect(error.message).to.equal("BSON field 'update.updates.bogus' is an unknown field.");
      expect(await target.collection('c').findOne({ _id: 1 })).to.deep.equal({ _id: 1, a: 1 });
    });
  });

  describe('read concern on a standalone', () => {
    // src/mongo/db/read_concern_mongod.cpp: linearizable (and snapshot) need a replica set
    // (NotAReplicaSet, 123); repl/replication_coordinator_impl.cpp
    // waitUntilOpTimeForReadUntil: "node needs to be a replica set member to use read concern".
    for (const level of ['linearizable', 'snapshot']) {
      it(`readConcern ${level} is refused with NotAReplicaSet (123)`, async () => {
        const error = await serverError(run({ find: 'c', filter: {}, readConcern: { level } }));
        expect(error.code).to.equal(123);
      });
    }

    // jstests/noPassthrough/after_cluster_time.js and the standalone readConcern jstest
    // ("Standalones don't support any operations with clusterTime"): a null afterClusterTime
    // is InvalidOptions (72), any other IllegalOperation (20); jstests/core/read_after_optime.js:
    // afterOpTime is NotAReplicaSet (123).
    it('readConcern afterClusterTime and afterOpTime are refused (a standalone keeps no cluster time)', async () => {
      const find = (readConcern: Document) => serverError(run({ find: 'c', readConcern }));
      const time = new Timestamp({ t: 1, i: 1 });
      expect((await find({ level: 'local', afterClusterTime: time })).code).to.equal(20);
      expect((await find({ level: 'majority', afterClusterTime: time })).code).to.equal(20);
      const zero = new Timestamp({ t: 0, i: 0 });
      expect((await find({ level: 'majority', afterClusterTime: zero })).code).to.equal(72);
      expect((await find({ afterOpTime: { ts: time, t: 0 } })).code).to.equal(123);
    });

    it('a read concern level that does not exist is BadValue (2)', async () => {
      // idl/idl_parser.cpp throwBadEnumValue: "Enumeration value 'x' for field ... is not a valid value."
      const error = await serverError(run({ find: 'c', readConcern: { level: 'bogus' } }));
      expect(error.code).to.equal(2);
    });

    it('readConcern local, majority and available are read as they are on a standalone', async () => {
      await target.collection('c').insertOne({ _id: 1 });
      for (const level of ['local', 'majority', 'available']) {
        const reply = await run({ find: 'c', filter: {}, readConcern: { level } });
        expect((reply.cursor as { firstBatch: unknown[] }).firstBatch).to.deep.equal([{ _id: 1 }]);
      }
    });
  });

  describe('write concern on a standalone', () => {
    // src/mongo/db/write_concern_idl.cpp deserializeWriteConcernW and write_concern.cpp
    // validateWriteConcern, checked before the command runs: nothing is written.
    const refused: [string, Document, number[]][] = [
      ['w: -1', { w: -1 }, [9]],
      ['w: 51', { w: 51 }, [9]],
      ["w: 'x' (a tag set mode)", { w: 'x' }, [2]],
      ["j: 'yes'", { j: 'yes' }, [9, 14]],
      ['w: {} (tags without tags)', { w: {} }, [9]],
    ];
    for (const [name, writeConcern, codes] of refused) {
      it(`${name} is refused and nothing is written`, async () => {
        const error = await serverError(
          run({ insert: 'wc', documents: [{ _id: 1 }], writeConcern }),
        );
        expect(codes).to.include(error.code);
        expect(await target.collection('wc').countDocuments()).to.equal(0);
      });
    }

    it('j: true on a server without a journal is BadValue (2); with one it waits for it', async () => {
      // write_concern.cpp validateWriteConcern: "cannot use 'j' option when a host does not
      // have journaling enabled" (an ephemeral storage engine: the embedded server without a
      // data directory, as this suite runs it). A real server here has a journal.
      const command = { insert: 'wc', documents: [{ _id: 1 }], writeConcern: { j: true } };
      if (target.embedded) {
        const error = await serverError(run(command));
        expect(error.code).to.equal(2);
        expect(error.message).to.equal(
          "cannot use 'j' option when a host does not have journaling enabled",
        );
        expect(await target.collection('wc').countDocuments()).to.equal(0);
      } else {
        expect(await run(command)).to.include({ ok: 1, n: 1 });
      }
    });
  });

  describe('commitQuorum on a standalone', () => {
    it("createIndexes with commitQuorum is BadValue (2): Standalones can't specify commitQuorum", async () => {
      // src/mongo/db/index_builds_coordinator.cpp parseAndValidateIndexSpecs / commit quorum.
      const error = await serverError(
        run({
          createIndexes: 'c',
          indexes: [{ key: { a: 1 }, name: 'a_1' }],
          commitQuorum: 'majority',
        }),
      );
      expect(error.code).to.equal(2);
      expect(error.message).to.equal("Standalones can't specify commitQuorum");
      const indexes: Document[] = await target
        .collection('c')
        .listIndexes()
        .toArray()
        .catch(() => []);
      expect(indexes.map((index) => index.name as unknown)).to.not.include('a_1');
    });
  });

  describe('hint to a sparse index', () => {
    // Manual, "Sparse Indexes" > "Sparse Index On A Collection Cannot Return Complete
    // Results": hinted to the sparse index on score, find returns only the documents that
    // have score, and so does a count.
    const scores = [
      { _id: 1, userid: 'newbie' },
      { _id: 2, userid: 'abby', score: 82 },
      { _id: 3, userid: 'nina', score: 90 },
    ];

    it('find and count hinted to it see only the documents it holds', async () => {
      const collection = target.collection('scores');
      await collection.insertMany(scores.map((doc) => ({ ...doc })));
      await collection.createIndex({ score: 1 }, { sparse: true }, undefined);
      expect(
        await collection.find().sort({ score: -1 }).hint({ score: 1 }).toArray(),
      ).to.deep.equal([scores[2], scores[1]]);
      expect(await collection.countDocuments({}, { hint: { score: 1 } })).to.equal(2);
      expect(await collection.countDocuments({})).to.equal(3);
    });
  });
}
