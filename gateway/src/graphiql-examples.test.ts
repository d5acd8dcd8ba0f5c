/** GraphiQL's example tabs are operations of the schema as it is (a renamed field breaks them). */
import { expect } from 'chai';
import { parse, validate } from 'graphql';
import { EXAMPLES } from '../graphiql/examples.ts';
import { gatewaySchema } from './graphql/schema.ts';

describe('GraphiQL examples', () => {
  const schema = gatewaySchema();
  for (const example of EXAMPLES) {
    const title = example.query.split('\n')[0] ?? '';
    it(`validates: ${title}`, () => {
      const errors = validate(schema, parse(example.query)).map((error) => error.message);
      expect(errors).to.deep.equal([]);
    });
  }
});
