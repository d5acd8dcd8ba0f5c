/** Runs aggregation pipelines with mingo on the server's operator set (mingo-context.ts). */
import type { Document } from 'bson';
import { Aggregator } from 'mingo/aggregator';
import { mingoOptions } from '../engine/mingo-options.ts';
import { pipelineContext } from './mingo-context.ts';
import { queryRegexes } from './regex.ts';

export { PIPELINE_STAGES } from './mingo-context.ts';

export function runPipeline(
  stages: Document[],
  input: readonly Document[],
  options: { variables?: Document; collection: (name: string) => Document[] },
): Document[] {
  const aggregator = new Aggregator(queryRegexes(stages) as Document[], {
    ...mingoOptions,
    context: pipelineContext,
    ...(options.variables ? { variables: options.variables } : {}),
    collectionResolver: options.collection,
  });
  return aggregator.run<Document>(input as Document[]);
}
