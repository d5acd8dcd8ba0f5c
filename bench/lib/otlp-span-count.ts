/**
 * Counts the spans of an OTLP ExportTraceServiceRequest in protobuf without decoding them: the
 * receiver of a benchmark only needs the count, and walking three levels of length-delimited
 * fields costs a fraction of a full decode (OpenTelemetry JS ships serializers for requests,
 * not parsers). opentelemetry-proto, trace_service.proto and trace.proto:
 *   ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
 *   ResourceSpans            { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
 *   ScopeSpans               { InstrumentationScope scope = 1; repeated Span spans = 2; }
 */

/** Protobuf wire types: varint, 64-bit, length-delimited, 32-bit. */
const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

/** The length-delimited fields numbered `field` of the message in `bytes`. */
function* fields(bytes: Buffer, field: number): Generator<Buffer> {
  let offset = 0;
  const varint = (): number => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = bytes[offset++];
      if (byte === undefined) throw new RangeError('truncated protobuf varint');
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
  };
  while (offset < bytes.length) {
    const tag = varint();
    const wireType = tag % 8;
    if (wireType === VARINT) varint();
    else if (wireType === FIXED64) offset += 8;
    else if (wireType === FIXED32) offset += 4;
    else if (wireType === LENGTH_DELIMITED) {
      const length = varint();
      if (Math.floor(tag / 8) === field) yield bytes.subarray(offset, offset + length);
      offset += length;
    } else throw new RangeError(`unexpected protobuf wire type ${wireType}`);
  }
}

export function countProtobufSpans(request: Buffer): number {
  let count = 0;
  for (const resourceSpans of fields(request, 1)) {
    for (const scopeSpans of fields(resourceSpans, 2)) count += [...fields(scopeSpans, 2)].length;
  }
  return count;
}
