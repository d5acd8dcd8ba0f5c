import { expect } from 'chai';
import { instanceIdFromResourceAttributes } from './instance.ts';
import { serviceNameOf, tracingWanted } from './tracing-settings.ts';

describe('tracing settings (standard OTEL_* variables)', () => {
  it('traces only when spans have somewhere to go', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318' };
    expect(tracingWanted({})).to.equal(false);
    expect(tracingWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: ' ' })).to.equal(false);
    expect(tracingWanted(endpoint)).to.equal(true);
    expect(
      tracingWanted({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://j:4318/v1/traces' }),
    ).to.equal(true);
    expect(tracingWanted({ ...endpoint, OTEL_SDK_DISABLED: 'TRUE' })).to.equal(false);
    expect(tracingWanted({ ...endpoint, OTEL_SDK_DISABLED: 'false' })).to.equal(true);
    expect(tracingWanted({ ...endpoint, OTEL_TRACES_EXPORTER: 'none' })).to.equal(false);
    expect(tracingWanted({ OTEL_TRACES_EXPORTER: 'console' })).to.equal(true);
    expect(tracingWanted({ OTEL_TRACES_EXPORTER: 'otlp' })).to.equal(false);
  });

  it('names the service after its entry point unless OTEL_SERVICE_NAME does', () => {
    expect(serviceNameOf('/app/gateway/src/main.ts', {})).to.equal('gateway');
    expect(serviceNameOf('/app/scripts/dlq.ts', {})).to.equal('dlq');
    expect(serviceNameOf('/app/scripts/mongo-embedded.ts', {})).to.equal('mongo-embedded');
    expect(serviceNameOf(undefined, {})).to.equal('tickwatch');
    expect(serviceNameOf('/app/gateway/src/main.ts', { OTEL_SERVICE_NAME: 'edge' })).to.equal(
      'edge',
    );
  });

  it('takes the instance id from OTEL_RESOURCE_ATTRIBUTES when set there', () => {
    expect(instanceIdFromResourceAttributes(undefined)).to.equal(undefined);
    expect(instanceIdFromResourceAttributes('service.namespace=tw')).to.equal(undefined);
    expect(
      instanceIdFromResourceAttributes('service.namespace=tw, service.instance.id = pod%2D7 '),
    ).to.equal('pod-7');
  });
});
