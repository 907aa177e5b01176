export {
  type S3TestClientConfig,
  type S3TestServer,
  type StartS3ServerOptions,
  startS3Server,
} from './start-s3-server.js';
