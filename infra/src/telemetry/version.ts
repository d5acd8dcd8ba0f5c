/** The product version (root package.json), reported as the trace resource's service.version. */
import product from '../../../package.json' with { type: 'json' };

export const version: string = product.version;
