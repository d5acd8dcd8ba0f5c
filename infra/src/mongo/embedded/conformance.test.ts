/**
 * The conformance suite: one suite over each target (embedded, and MONGO_URL when set; see
 * conformance/target.ts). Run just this file against a real server with `npm run test:mongo`.
 */
import { aggregationResultCases } from './conformance/aggregation-results.ts';
import { arrayPathCases } from './conformance/array-paths.ts';
import { bsonEdgeCases } from './conformance/bson-edges.ts';
import { collationCases } from './conformance/collation.ts';
import { crudSpecCases } from './conformance/crud-spec.ts';
import { engineGapCases } from './conformance/engine-gaps.ts';
import { mongooseCases } from './conformance/mongoose-models.ts';
import { querySemanticsCases } from './conformance/query-semantics.ts';
import { readsAndShapesCases } from './conformance/reads-and-shapes.ts';
import { refusalCases } from './conformance/refusals.ts';
import { serverBehaviourCases } from './conformance/server-behaviour.ts';
import { describeOnTargets } from './conformance/target.ts';
import { updateOperatorCases } from './conformance/update-operators.ts';
import { writeSemanticsCases } from './conformance/write-semantics.ts';

describeOnTargets('MongoDB conformance', (target) => {
  describe('CRUD specification cases', () => {
    crudSpecCases(target);
  });
  describe('gaps a query library leaves', () => {
    engineGapCases(target);
  });
  describe('query semantics', () => {
    querySemanticsCases(target);
  });
  describe('write semantics', () => {
    writeSemanticsCases(target);
  });
  describe('update operators', () => {
    updateOperatorCases(target);
  });
  describe('paths into arrays and embedded documents', () => {
    arrayPathCases(target);
  });
  describe('reads, aggregation and document shape', () => {
    readsAndShapesCases(target);
  });
  describe('aggregation results and memory limits', () => {
    aggregationResultCases(target);
  });
  describe('mongoose models', () => {
    mongooseCases(target);
  });
  describe('server behaviour', () => {
    serverBehaviourCases(target);
  });
  describe('collation', () => {
    collationCases(target);
  });
  describe('refusals', () => {
    refusalCases(target);
  });
  describe('BSON edges', () => {
    bsonEdgeCases(target);
  });
});
