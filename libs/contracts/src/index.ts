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
export * from "./gen/google/rpc/status_pb.js";
