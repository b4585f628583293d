import { timestampDate } from "@bufbuild/protobuf/wkt";
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  IntegrationSchema,
  NormalizeResponseSchema,
  type NormalizerService,
} from "@runframe/contracts";
import type { Normalize } from "@runframe/util";

/**
 * The NormalizerService of one provider around its pure `normalize`. Every
 * normalizer app is this plus its provider's function.
 */
export function normalizerService(
  normalize: Normalize,
): Partial<ServiceImpl<typeof NormalizerService>> {
  return {
    normalize(req) {
      const alerts = normalize({
        integration: req.integration ?? create(IntegrationSchema),
        headers: req.headers,
        body: req.body,
        receiveTime: req.receiveTime ? timestampDate(req.receiveTime) : new Date(),
      });
      return create(NormalizeResponseSchema, { alerts });
    },
  };
}
