/**
 * POST /kyc/bvn, POST /kyc/nin (verify a number) and GET /kyc (the tier and
 * what backs it). Thin: validate, call the KYC service (src/services/kyc.ts),
 * answer. Problems: 422 `identity_not_verified` (not found and mismatch
 * alike), 409 `identity_in_use` / `identity_already_verified`, 429
 * `too_many_kyc_attempts`, 503 `identity_provider_unavailable`.
 */
import { createRoute } from "@hono/zod-openapi";
import type { IdentityKind } from "../../domain/tiers";
import {
  bearerSecurity,
  bodyContent,
  formOrJson,
  newRouter,
  problems,
  requireUser,
  userIdOf,
} from "../../lib/http";
import { kycStatusOf, verifyIdentity } from "../../services/kyc";
import { KycBody, KycStatusResponse } from "./schemas";

export const kycRoutes = newRouter();

const LABEL: Record<IdentityKind, string> = {
  bvn: "Bank Verification Number (BVN)",
  nin: "National Identification Number (NIN)",
};

for (const kind of ["bvn", "nin"] as const) {
  kycRoutes.openapi(
    createRoute({
      method: "post",
      path: `/kyc/${kind}`,
      tags: ["kyc"],
      summary: `Verify a ${LABEL[kind]} against the issuer's record`,
      description:
        "The number, and the names and date of birth as registered with it. The issuer's person must match (case, accents, order and one missing middle name are tolerated). Only a keyed hash and the last four digits are kept.",
      security: bearerSecurity,
      middleware: requireUser,
      request: {
        body: bodyContent(KycBody, "The number (11 digits), names and date of birth (YYYY-MM-DD)."),
      },
      responses: {
        200: {
          description: "Verified: the wallet's tier and its verified identities.",
          content: { "application/json": { schema: KycStatusResponse } },
        },
        ...problems(400, 401, 404, 409, 413, 415, 422, 429, 503),
      },
    }),
    async (c) => {
      const body = formOrJson(c, {
        form: () => c.req.valid("form"),
        json: () => c.req.valid("json"),
      });
      const view = await verifyIdentity(c, userIdOf(c), kind, body);
      return c.json(view, 200);
    },
  );
}

kycRoutes.openapi(
  createRoute({
    method: "get",
    path: "/kyc",
    tags: ["kyc"],
    summary: "The wallet's KYC tier and its verified identities (last four digits only)",
    security: bearerSecurity,
    middleware: requireUser,
    responses: {
      200: {
        description: "The tier, and each verified kind with its last four digits.",
        content: { "application/json": { schema: KycStatusResponse } },
      },
      ...problems(401, 404),
    },
  }),
  async (c) => c.json(await kycStatusOf(c, userIdOf(c)), 200),
);
