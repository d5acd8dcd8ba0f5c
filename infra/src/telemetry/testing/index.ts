/** @tickwatch/infra/telemetry/testing: see spans in tests, in process or exported by a child. */
export { startInMemoryTracing, type InMemoryTracing } from './in-memory-tracing.ts';
export {
  startOtlpReceiver,
  type AttributeValue,
  type OtlpReceiver,
  type ReceivedSpan,
} from './otlp-receiver.ts';
