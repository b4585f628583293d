/**
 * The generated protobuf contracts of every Runframe service. Regenerate
 * with `npm run generate`; CI fails when the committed code is stale.
 */
export * from "./gen/grpc/health/v1/health_pb.js";
export * from "./gen/runframe/common/v1/common_pb.js";
export * from "./gen/runframe/auth/v1/auth_pb.js";
export * from "./gen/runframe/auth/v1/integration_pb.js";
export * from "./gen/runframe/auth/v1/api_key_pb.js";
export * from "./gen/runframe/normalizer/v1/normalizer_pb.js";
export * from "./gen/runframe/incident/v1/incident_pb.js";
export * from "./gen/runframe/incident/v1/envelope_pb.js";
export * from "./gen/runframe/incident/v1/delivery_pb.js";
export * from "./gen/google/rpc/status_pb.js";
/*
 * The standard error details every Runframe error carries. Their names
 * shadow the deprecated runframe.common.v1 copies, which nothing attaches
 * any more.
 */
export {
  BadRequestSchema,
  BadRequest_FieldViolationSchema,
  ErrorInfoSchema,
  RetryInfoSchema,
  file_google_rpc_error_details,
  type BadRequest,
  type BadRequest_FieldViolation,
  type ErrorInfo,
  type RetryInfo,
} from "./gen/google/rpc/error_details_pb.js";
/** gRPC server reflection, both versions clients speak (grpcurl: v1, then v1alpha). */
export * as reflectionV1 from "./gen/grpc/reflection/v1/reflection_pb.js";
export * as reflectionV1alpha from "./gen/grpc/reflection/v1alpha/reflection_pb.js";
