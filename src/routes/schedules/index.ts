/**
 * Scheduled top-ups (issue 23):
 *   GET    /wallet/schedules          the user's schedules, each with next_run_at and its last runs
 *   POST   /wallet/schedules          a product for a saved recipient, daily | weekly | monthly at a Lagos time
 *   GET    /wallet/schedules/{id}     one
 *   PATCH  /wallet/schedules/{id}     change it, pause it (status paused) or resume it (status active)
 *   DELETE /wallet/schedules/{id}     delete it
 *
 * Runs are the Wallet alarm's (src/durable/wallet/schedules.ts). Ids are
 * looked up in the caller's own wallet: another user's id is 404.
 */
import { createRoute } from "@hono/zod-openapi";
import type { Recurrence, Weekday } from "../../domain/schedules";
import type { SchedulePatch } from "../../durable/wallet/object";
import { errors } from "../../lib/errors";
import { bearerSecurity, newRouter, problems, requireUser, userIdOf } from "../../lib/http";
import { savedSchedule, scheduleNotFound, scheduleView } from "../../services/schedules";
import {
  ScheduleBody,
  ScheduleIdParam,
  ScheduleList,
  SchedulePatchBody,
  ScheduleResponse,
} from "./schemas";

export const scheduleRoutes = newRouter();

const TAGS = ["schedules"];
const one = (description: string) => ({
  description,
  content: { "application/json": { schema: ScheduleResponse } },
});

/** The recurrence a body names: a weekly one needs its weekday, a monthly one its day, and nothing else. */
function recurrenceOf(body: {
  frequency: "daily" | "weekly" | "monthly";
  weekday?: number;
  day?: number;
}): Recurrence {
  const missing = (path: string, message: string) =>
    errors.validation([{ path, message, code: "required" }]);
  const extra = (path: string) =>
    errors.validation([
      { path, message: `Not used by a ${body.frequency} schedule.`, code: "not_allowed" },
    ]);
  if (body.frequency === "weekly") {
    if (body.weekday === undefined)
      throw missing("weekday", "A weekly schedule names its weekday.");
    if (body.day !== undefined) throw extra("day");
    return { every: "weekly", weekday: body.weekday as Weekday };
  }
  if (body.frequency === "monthly") {
    if (body.day === undefined) throw missing("day", "A monthly schedule names its day.");
    if (body.weekday !== undefined) throw extra("weekday");
    return { every: "monthly", day: body.day };
  }
  if (body.weekday !== undefined) throw extra("weekday");
  if (body.day !== undefined) throw extra("day");
  return { every: "daily" };
}

scheduleRoutes.openapi(
  createRoute({
    method: "get",
    path: "/wallet/schedules",
    tags: TAGS,
    summary: "The scheduled top-ups",
    security: bearerSecurity,
    middleware: requireUser,
    responses: {
      200: {
        description: "Every schedule, oldest first.",
        content: { "application/json": { schema: ScheduleList } },
      },
      ...problems(401),
    },
  }),
  async (c) => {
    const list = await c.env.WALLET.getByName(userIdOf(c)).listSchedules();
    return c.json({ schedules: list.map(scheduleView) }, 200);
  },
);

scheduleRoutes.openapi(
  createRoute({
    method: "post",
    path: "/wallet/schedules",
    tags: TAGS,
    summary:
      "Schedule a top-up for a saved recipient: daily, weekly or monthly at a Lagos time, with an optional end date and count",
    security: bearerSecurity,
    middleware: requireUser,
    request: {
      body: { content: { "application/json": { schema: ScheduleBody } }, required: true },
    },
    responses: { 201: one("Scheduled."), ...problems(400, 401, 404, 409, 413, 415, 422) },
  }),
  async (c) => {
    const body = c.req.valid("json");
    const result = await c.env.WALLET.getByName(userIdOf(c)).createSchedule({
      beneficiary_id: body.beneficiary_id,
      product: body.product,
      recurrence: recurrenceOf(body),
      time: body.time,
      ends_on: body.ends_on ?? null,
      count: body.count ?? null,
    });
    return c.json(scheduleView(savedSchedule(result)), 201);
  },
);

scheduleRoutes.openapi(
  createRoute({
    method: "get",
    path: "/wallet/schedules/{id}",
    tags: TAGS,
    summary: "One schedule, with next_run_at and its last runs",
    security: bearerSecurity,
    middleware: requireUser,
    request: { params: ScheduleIdParam },
    responses: { 200: one("The schedule."), ...problems(401, 404, 422) },
  }),
  async (c) => {
    const s = await c.env.WALLET.getByName(userIdOf(c)).getSchedule(c.req.valid("param").id);
    if (!s) throw scheduleNotFound();
    return c.json(scheduleView(s), 200);
  },
);

scheduleRoutes.openapi(
  createRoute({
    method: "patch",
    path: "/wallet/schedules/{id}",
    tags: TAGS,
    summary:
      "Change, pause or resume a schedule (a run already in flight keeps what it was started with)",
    security: bearerSecurity,
    middleware: requireUser,
    request: {
      params: ScheduleIdParam,
      body: { content: { "application/json": { schema: SchedulePatchBody } }, required: true },
    },
    responses: { 200: one("Changed."), ...problems(400, 401, 404, 409, 413, 415, 422) },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    const wallet = c.env.WALLET.getByName(userIdOf(c));
    const patch: SchedulePatch = {
      beneficiary_id: body.beneficiary_id,
      product: body.product,
      time: body.time,
      ends_on: body.ends_on,
      count: body.count,
      status: body.status,
    };
    if (body.frequency !== undefined)
      patch.recurrence = recurrenceOf({ ...body, frequency: body.frequency });
    else if (body.weekday !== undefined || body.day !== undefined) {
      // A new weekday or day keeps the schedule's frequency.
      const current = await wallet.getSchedule(id);
      if (!current) throw scheduleNotFound();
      patch.recurrence = recurrenceOf({ ...body, frequency: current.recurrence.every });
    }
    const result = await wallet.updateSchedule(id, patch);
    return c.json(scheduleView(savedSchedule(result)), 200);
  },
);

scheduleRoutes.openapi(
  createRoute({
    method: "delete",
    path: "/wallet/schedules/{id}",
    tags: TAGS,
    summary: "Delete a schedule (a run not yet placed is not placed)",
    security: bearerSecurity,
    middleware: requireUser,
    request: { params: ScheduleIdParam },
    responses: { 204: { description: "Deleted." }, ...problems(401, 404, 422) },
  }),
  async (c) => {
    const deleted = await c.env.WALLET.getByName(userIdOf(c)).deleteSchedule(
      c.req.valid("param").id,
    );
    if (!deleted) throw scheduleNotFound();
    return c.body(null, 204);
  },
);
