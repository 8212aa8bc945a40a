/**
 * A Dojah look-alike (development only), mounted at /__sandbox/dojah: the two
 * lookups our identity adapter calls, with Dojah's paths, headers and answer
 * shapes (providers reference, section 19.3), and no state:
 *
 *   GET /api/v1/kyc/bvn/full?bvn=   BVN lookup: entity {first_name, middle_name, last_name, date_of_birth, ...}
 *   GET /api/v1/kyc/nin?nin=        NIN lookup: entity {first_name, middle_name, surname, birth_date, ...}
 *                                   (the field names of Dojah's SDK answer model)
 *
 * Headers: `AppId` and a raw `Authorization` with the development keys
 * (DEV_DOJAH_KEYS), else 401. What each test number does: ./people.ts.
 * Down: 503 with a gateway page. Slow: the answer is held past any client
 * timeout. Not found: 400 `{"error":"BVN not found"}`, as Dojah answers.
 */
import { type Context, Hono } from "hono";
import { DEV_DOJAH_KEYS } from "../../lib/config-identity";
import type { AppEnv } from "../../lib/http";
import { sleep } from "../../lib/time";
import type { IdentityKind } from "../../providers/identity/port";
import { IDENTITY_SLOW_HOLD_MS } from "./limits";
import { OTHER_PERSON, scenarioOf, type SandboxPerson, TEST_PERSON } from "./people";

/** The look-alike's mount inside the sandbox router; Dojah's base URL is `<origin>/__sandbox` + this. */
export const DOJAH_MOUNT = "/dojah";

export const identityRoutes = new Hono<AppEnv>();

identityRoutes.use("*", async (c, next) => {
  if (
    c.req.header("AppId") !== DEV_DOJAH_KEYS.app_id ||
    c.req.header("Authorization") !== DEV_DOJAH_KEYS.secret_key
  ) {
    return c.json({ error: "Unauthorized: AppId or Authorization is invalid" }, 401);
  }
  await next();
});

function bvnEntity(number: string, person: SandboxPerson) {
  return {
    bvn: number,
    first_name: person.first_name,
    middle_name: person.middle_name,
    last_name: person.last_name,
    gender: "Female",
    date_of_birth: person.date_of_birth,
    phone_number1: "08030000000",
    image: "",
  };
}

function ninEntity(number: string, person: SandboxPerson) {
  return {
    nin: number,
    first_name: person.first_name,
    middle_name: person.middle_name,
    surname: person.last_name,
    gender: "f",
    birth_date: person.date_of_birth,
    telephone: "08030000000",
    picture: "",
  };
}

async function answer(c: Context<AppEnv>, kind: IdentityKind, number: string | undefined) {
  const label = kind.toUpperCase();
  if (!number || !/^\d{11}$/.test(number)) return c.json({ error: `Invalid ${label}` }, 400);
  const scenario = scenarioOf(kind, number);
  const entity = kind === "bvn" ? bvnEntity : ninEntity;
  switch (scenario) {
    case "match":
      return c.json({ entity: entity(number, TEST_PERSON) }, 200);
    case "name_differs":
      return c.json({ entity: entity(number, OTHER_PERSON) }, 200);
    case "down":
      return c.html("<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>", 503);
    case "slow":
      await sleep(IDENTITY_SLOW_HOLD_MS, c.req.raw.signal);
      return c.html("<html><body><h1>504 Gateway Time-out</h1></body></html>", 504);
    case "not_found":
      return c.json({ error: `${label} not found` }, 400);
  }
}

identityRoutes.get("/api/v1/kyc/bvn/full", (c) => answer(c, "bvn", c.req.query("bvn")));
identityRoutes.get("/api/v1/kyc/nin", (c) => answer(c, "nin", c.req.query("nin")));
