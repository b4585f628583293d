import {
  createRegistry,
  toBinary,
  type DescFile,
  type DescService,
  type MessageInitShape,
} from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter } from "@connectrpc/connect";
import {
  file_google_rpc_error_details,
  reflectionV1,
  reflectionV1alpha,
} from "@runframe/contracts";

type Request = reflectionV1.ServerReflectionRequest;
type Response = MessageInitShape<typeof reflectionV1.ServerReflectionResponseSchema>;
type Answer = NonNullable<Response["messageResponse"]>;

/** gRPC status codes of in-stream reflection errors (grpc.reflection.v1.ErrorResponse). */
const NOT_FOUND = 5;
const INVALID_ARGUMENT = 3;

/**
 * Registers gRPC server reflection, v1 and v1alpha (grpcurl asks v1 first,
 * older tools only v1alpha), describing `services` from the descriptors
 * compiled into our generated code: the files that declare them and every
 * file those import, plus the standard error details, so a client can
 * decode `google.rpc.BadRequest` & co. without the proto files.
 *
 * It reveals the API's schema and nothing else, like the proto files in the
 * repository, so it needs no credential.
 */
export function registerReflection(router: ConnectRouter, services: readonly DescService[]): void {
  const reflection = createReflection([
    ...services,
    reflectionV1.ServerReflection,
    reflectionV1alpha.ServerReflection,
  ]);
  router.service(reflectionV1.ServerReflection, {
    serverReflectionInfo: (requests) => reflection(requests),
  });
  router.service(reflectionV1alpha.ServerReflection, {
    // The two versions differ only in their package name; each answer
    // echoes the caller's own request message.
    serverReflectionInfo: (requests) =>
      reflection(requests as AsyncIterable<unknown> as AsyncIterable<Request>) as AsyncIterable<
        MessageInitShape<typeof reflectionV1alpha.ServerReflectionResponseSchema>
      >,
  });
}

/** The ServerReflectionInfo stream over `services` and the files behind them. */
export function createReflection(services: readonly DescService[]) {
  const files = new Map<string, DescFile>();
  const addFile = (file: DescFile) => {
    if (!files.has(file.proto.name)) {
      files.set(file.proto.name, file);
      file.dependencies.forEach(addFile);
    }
  };
  services.forEach((service) => addFile(service.file));
  addFile(file_google_rpc_error_details);
  const registry = createRegistry(...files.values());
  const serviceNames = [...new Set(services.map((s) => s.typeName))].sort();

  const fileOfSymbol = (symbol: string): DescFile | undefined => {
    const desc = registry.get(symbol);
    if (desc !== undefined) {
      return desc.file;
    }
    // A method, field, enum value or oneof: its parent is a type we know.
    const parent = registry.get(symbol.slice(0, Math.max(0, symbol.lastIndexOf("."))));
    return parent?.file;
  };

  return async function* respond(requests: AsyncIterable<Request>): AsyncGenerator<Response> {
    const sent = new Set<string>();
    /** The file, then every file it imports that this stream has not sent yet. */
    const withDependencies = (file: DescFile): Uint8Array[] => {
      const out: DescFile[] = [file];
      const visit = (f: DescFile) => {
        for (const dependency of f.dependencies) {
          if (!sent.has(dependency.proto.name) && !out.includes(dependency)) {
            out.push(dependency);
            visit(dependency);
          }
        }
      };
      visit(file);
      out.forEach((f) => sent.add(f.proto.name));
      return out.map((f) => toBinary(FileDescriptorProtoSchema, f.proto));
    };
    const fileAnswer = (file: DescFile | undefined, what: string): Answer =>
      file === undefined
        ? {
            case: "errorResponse",
            value: { errorCode: NOT_FOUND, errorMessage: `${what} not found` },
          }
        : {
            case: "fileDescriptorResponse",
            value: { fileDescriptorProto: withDependencies(file) },
          };

    for await (const request of requests) {
      const req = request.messageRequest;
      let messageResponse: Answer;
      switch (req.case) {
        case "listServices":
          messageResponse = {
            case: "listServicesResponse",
            value: { service: serviceNames.map((name) => ({ name })) },
          };
          break;
        case "fileByFilename":
          messageResponse = fileAnswer(files.get(req.value), `file ${req.value}`);
          break;
        case "fileContainingSymbol":
          messageResponse = fileAnswer(fileOfSymbol(req.value), `symbol ${req.value}`);
          break;
        case "fileContainingExtension": {
          const extendee = registry.getMessage(req.value.containingType);
          const extension =
            extendee && registry.getExtensionFor(extendee, req.value.extensionNumber);
          messageResponse = fileAnswer(
            extension?.file,
            `extension ${String(req.value.extensionNumber)} of ${req.value.containingType}`,
          );
          break;
        }
        case "allExtensionNumbersOfType": {
          const message = registry.getMessage(req.value);
          const numbers: number[] = [];
          for (const desc of registry) {
            if (desc.kind === "extension" && desc.extendee.typeName === req.value) {
              numbers.push(desc.number);
            }
          }
          messageResponse = message
            ? {
                case: "allExtensionNumbersResponse",
                value: { baseTypeName: req.value, extensionNumber: numbers },
              }
            : {
                case: "errorResponse",
                value: { errorCode: NOT_FOUND, errorMessage: `type ${req.value} not found` },
              };
          break;
        }
        default:
          messageResponse = {
            case: "errorResponse",
            value: { errorCode: INVALID_ARGUMENT, errorMessage: "empty reflection request" },
          };
      }
      yield { validHost: request.host, originalRequest: request, messageResponse };
    }
  };
}
