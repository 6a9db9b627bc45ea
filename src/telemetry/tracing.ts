/**
 * OpenTelemetry traces. Each request gets a span, continued from the client's `traceparent` (in
 * `_meta`, as SEP-414 places it) and carried on to the upstream in the forwarded request's
 * `_meta`, so that client, Bastion and server spans form one trace. Spans are exported over
 * OTLP/HTTP when `telemetry.traces.endpoint` is set; otherwise nothing is recorded, and Bastion
 * passes the client's trace context on unchanged (or starts one, so that the audit record and the
 * upstream share a trace id).
 */
import { randomBytes } from 'node:crypto';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace, type Span, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-base';
import { BASTION_VERSION } from '../version.js';

export interface TraceSettings {
  /** OTLP/HTTP traces endpoint, e.g. http://127.0.0.1:4318/v1/traces; undefined exports nothing. */
  readonly endpoint: string | undefined;
  readonly serviceName: string;
  readonly sampleRatio: number;
}

/** The trace context of one request: its id for the audit record, and what goes upstream in `_meta`. */
export interface RequestTrace {
  readonly traceId: string;
  readonly carrier: Readonly<Record<string, string>>;
  end(outcome: RequestOutcome): void;
}

/** How a request ended, for its span: a final name (once the target is known), an error, attributes. */
export interface RequestOutcome {
  readonly name?: string;
  readonly error?: string;
  readonly attributes: Record<string, string | number>;
}

type Carrier = Record<string, unknown>;

const propagator = new W3CTraceContextPropagator();
const getter = {
  keys: (carrier: Carrier) => Object.keys(carrier),
  get: (carrier: Carrier, key: string) => (typeof carrier[key] === 'string' ? (carrier[key] as string) : undefined),
};
const setter = { set: (carrier: Record<string, string>, key: string, value: string) => void (carrier[key] = value) };

export class Tracing {
  private readonly provider: BasicTracerProvider | undefined;
  private readonly tracer: Tracer | undefined;

  constructor(settings: TraceSettings) {
    if (!settings.endpoint) return;
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': settings.serviceName, 'service.version': BASTION_VERSION }),
      sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(settings.sampleRatio) }),
      spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: settings.endpoint }))],
    });
    this.tracer = this.provider.getTracer('bastion', BASTION_VERSION);
  }

  /** Starts a request's trace from the client's `_meta`. */
  start(name: string, meta: Carrier | undefined, attributes: Record<string, string | number>): RequestTrace {
    const parent = meta ? propagator.extract(ROOT_CONTEXT, meta, getter) : ROOT_CONTEXT;
    if (!this.tracer) return passOn(parent, meta);
    const span = this.tracer.startSpan(name, { kind: SpanKind.SERVER, attributes }, parent);
    const carrier: Record<string, string> = {};
    propagator.inject(trace.setSpan(ROOT_CONTEXT, span), carrier, setter);
    return { traceId: span.spanContext().traceId, carrier, end: (outcome) => endSpan(span, outcome) };
  }

  async close(): Promise<void> {
    await this.provider?.shutdown().catch(() => undefined);
  }
}

function endSpan(span: Span, outcome: RequestOutcome): void {
  if (outcome.name) span.updateName(outcome.name);
  span.setAttributes(outcome.attributes);
  if (outcome.error) span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.error });
  span.end();
}

const NO_END = () => undefined;

/** Random ids come from a pooled buffer: one read of the system's randomness per 170 requests, not one per request. */
let randomPool = Buffer.alloc(0);
let randomOffset = 0;
function randomHex(bytes: number): string {
  if (randomOffset + bytes > randomPool.length) {
    randomPool = randomBytes(4096);
    randomOffset = 0;
  }
  const hex = randomPool.toString('hex', randomOffset, randomOffset + bytes);
  randomOffset += bytes;
  return hex;
}

/** Without an exporter: the client's context goes on as it came, or a new unsampled one starts. */
function passOn(parent: ReturnType<typeof propagator.extract>, meta: Carrier | undefined): RequestTrace {
  const incoming = trace.getSpanContext(parent);
  if (incoming && meta) {
    const carrier: Record<string, string> = {};
    propagator.inject(parent, carrier, setter);
    return { traceId: incoming.traceId, carrier, end: NO_END };
  }
  const spanContext = { traceId: randomHex(16), spanId: randomHex(8), traceFlags: TraceFlags.NONE };
  const carrier: Record<string, string> = {};
  propagator.inject(trace.setSpanContext(ROOT_CONTEXT, spanContext), carrier, setter);
  return { traceId: spanContext.traceId, carrier, end: NO_END };
}
