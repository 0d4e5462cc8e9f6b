/**
 * The execution-stream contract in one place: key names of an execution's streams, the
 * encoding of events and control messages, the parsing of stream replies, following events to
 * the result, and the writer of the control stream. The control-plane, the gateway and the
 * agent use only this to touch `exec:{id}:events` and `exec:{id}:control`.
 */
export { execStreamKeys, type ExecStreamKeys } from './keys.js';
export {
  controlField,
  decodeControl,
  decodeEvent,
  encodeControl,
  encodeEvent,
  eventField,
  type ControlMessage,
  type ExecutionEvent,
  type ExecutionResultView,
  type ResultEvent,
} from './codec.js';
export {
  compareStreamIds,
  parseEntries,
  parseReadReply,
  type StreamBatch,
  type StreamEntry,
} from './reply.js';
export { createStreamFollower, type StreamFollower } from './follower.js';
export {
  followControl,
  followEvents,
  followExecution,
  type FollowExecutionOptions,
  type RowReason,
  type StreamEvent,
} from './follow.js';
export { createControlWriter, type ControlWriter, type StdinOutcome } from './control.js';
