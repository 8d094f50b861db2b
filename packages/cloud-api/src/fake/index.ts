export {
  startFakeGraph,
  type FailNextOptions,
  type FakeGraph,
  type FakeGraphMessage,
  type FakeGraphOp,
  type FakeGraphOptions,
  type FakeGraphRequest,
  type FakeGraphUpload,
  type FakeTokenOptions,
} from './fake-graph.js';
export {
  inboundTextPayload,
  statusPayload,
  type InboundTextFields,
  type StatusFields,
} from './webhook-payloads.js';
