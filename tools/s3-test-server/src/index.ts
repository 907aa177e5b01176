export { type FaultProxy, type FaultProxyOptions, startFaultProxy } from './fault-proxy.js';
export type {
  AfterForwardStatusFault,
  Fault,
  FaultMatch,
  FaultRule,
  LatencyFault,
  RequestSummary,
  ResetRequestBodyFault,
  ResetResponseBodyFault,
  StatusFault,
} from './fault-rules.js';
export { FaultRules } from './fault-rules.js';
export type { ProxiedRequest } from './request-log.js';
export { defaultMessageFor, type S3ErrorFields, s3ErrorBody } from './s3-error-body.js';
export {
  type S3TestClientConfig,
  type S3TestServer,
  type StartS3ServerOptions,
  startS3Server,
} from './start-s3-server.js';
