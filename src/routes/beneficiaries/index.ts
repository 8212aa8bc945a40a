/**
 * Saved recipients (issue 23):
 *   GET    /wallet/beneficiaries             the user's saved recipients
 *   POST   /wallet/beneficiaries             save one (a meter or smartcard verified with the provider)
 *   GET    /wallet/beneficiaries/suggested   recipients of recent purchases not saved yet
 *   GET    /wallet/beneficiaries/{id}        one
 *   PATCH  /wallet/beneficiaries/{id}        its nickname (a phone's network)
 *   DELETE /wallet/beneficiaries/{id}        remove it (refused while a schedule names it)
 *
 * Ids are looked up in the caller's own wallet: another user's id is 404.
 */
import { createRoute } from "@hono/zod-openapi";
import { errors } from "../../lib/errors";
import { bearerSecurity, newRouter, problems, requireUser, userIdOf } from "../../lib/http";
import {
  beneficiaryNotFound,
  beneficiaryView,
  saveBeneficiary,
} from "../../services/beneficiaries";
import {
  BeneficiaryBody,
  BeneficiaryIdParam,
  BeneficiaryList,
  BeneficiaryPatchBody,
  BeneficiaryResponse,
  SuggestedList,
} from "./schemas";

export const beneficiaryRoutes = newRouter();

const TAGS = ["beneficiaries"];
const one = (description: string) => ({
  description,
  content: { "application/json": { schema: BeneficiaryResponse } },
});

beneficiaryRoutes.openapi(
  createRoute({
    method: "get",
    path: "/wallet/beneficiaries",
    tags: TAGS,
    summary: "The saved recipients",
    security: bearerSecurity,
    middleware: requireUser,
    responses: {
      200: {
        description: "Every saved recipient, oldest first.",
        content: { "application/json": { schema: BeneficiaryList } },
      },
      ...problems(401),
    },
  }),
  async (c) => {
    const list = await c.env.WALLET.getByName(userIdOf(c)).listBeneficiaries();
    return c.json(
      { beneficiaries: list.map(beneficiaryView), limit: c.var.config.BENEFICIARIES_MAX },
      200,
    );
  },
);

beneficiaryRoutes.openapi(
  createRoute({
    method: "post",
    path: "/wallet/beneficiaries",
    tags: TAGS,
    summary:
      "Save a recipient: a phone (with network), a meter (DisCo, type) or a smartcard (provider)",
    security: bearerSecurity,
    middleware: requireUser,
    request: {
      body: { content: { "application/json": { schema: BeneficiaryBody } }, required: true },
    },
    responses: {
      201: one("Saved."),
      ...problems(400, 401, 409, 413, 415, 422, 503),
    },
  }),
  async (c) => {
    const saved = await saveBeneficiary(c, userIdOf(c), c.req.valid("json"));
    return c.json(beneficiaryView(saved), 201);
  },
);

// Before /{id}, which would otherwise take "suggested" for an id.
beneficiaryRoutes.openapi(
  createRoute({
    method: "get",
    path: "/wallet/beneficiaries/suggested",
    tags: TAGS,
    summary: "Recipients of the user's recent purchases that are not saved yet",
    security: bearerSecurity,
    middleware: requireUser,
    responses: {
      200: {
        description: "Most recently used first.",
        content: { "application/json": { schema: SuggestedList } },
      },
      ...problems(401),
    },
  }),
  async (c) => {
    const found = await c.env.WALLET.getByName(userIdOf(c)).suggestedRecipients();
    return c.json(
      {
        suggested: found.map(({ target, last_used_at_ms }) => ({
          ...target,
          last_used_at: new Date(last_used_at_ms).toISOString(),
        })),
      },
      200,
    );
  },
);

beneficiaryRoutes.openapi(
  createRoute({
    method: "get",
    path: "/wallet/beneficiaries/{id}",
    tags: TAGS,
    summary: "One saved recipient",
    security: bearerSecurity,
    middleware: requireUser,
    request: { params: BeneficiaryIdParam },
    responses: { 200: one("The recipient."), ...problems(401, 404, 422) },
  }),
  async (c) => {
    const b = await c.env.WALLET.getByName(userIdOf(c)).getBeneficiary(c.req.valid("param").id);
    if (!b) throw beneficiaryNotFound();
    return c.json(beneficiaryView(b), 200);
  },
);

beneficiaryRoutes.openapi(
  createRoute({
    method: "patch",
    path: "/wallet/beneficiaries/{id}",
    tags: TAGS,
    summary: "Rename a saved recipient, or change a phone's network",
    security: bearerSecurity,
    middleware: requireUser,
    request: {
      params: BeneficiaryIdParam,
      body: { content: { "application/json": { schema: BeneficiaryPatchBody } }, required: true },
    },
    responses: { 200: one("Changed."), ...problems(400, 401, 404, 413, 415, 422) },
  }),
  async (c) => {
    const result = await c.env.WALLET.getByName(userIdOf(c)).updateBeneficiary(
      c.req.valid("param").id,
      c.req.valid("json"),
    );
    if (result.outcome === "not_found") throw beneficiaryNotFound();
    if (result.outcome === "not_a_phone")
      throw errors.unprocessable("not_a_phone", "Only a phone's network can be changed.");
    return c.json(beneficiaryView(result.beneficiary), 200);
  },
);

beneficiaryRoutes.openapi(
  createRoute({
    method: "delete",
    path: "/wallet/beneficiaries/{id}",
    tags: TAGS,
    summary: "Delete a saved recipient (refused while a schedule names it)",
    security: bearerSecurity,
    middleware: requireUser,
    request: { params: BeneficiaryIdParam },
    responses: {
      204: { description: "Deleted." },
      ...problems(401, 404, 409, 422),
    },
  }),
  async (c) => {
    const result = await c.env.WALLET.getByName(userIdOf(c)).deleteBeneficiary(
      c.req.valid("param").id,
    );
    if (result.outcome === "not_found") throw beneficiaryNotFound();
    if (result.outcome === "in_use")
      throw errors.conflict(
        "beneficiary_in_use",
        `Schedules still buy for this recipient (${result.schedule_ids.join(", ")}); delete them first.`,
      );
    return c.body(null, 204);
  },
);
