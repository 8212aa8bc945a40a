/**
 * Commands around the money: look at a wallet, run its reconciler (the
 * wallet's own alarm), switch it off and on, and the account routes
 * (register and log in are real and cost an argon2id hash each, so they are
 * rare).
 */
import { PASSWORD, uniqueEmail, uniqueIp } from "../../support/helpers";
import { call, countCommand, countOutcome, counts } from "./harness";
import { jsonAnswer, observe, problem, same } from "./check";
import type { Model } from "./model";
import { reconcileWallet, userOf, type Cmd, type Real } from "./commands-funding";

export class Observe implements Cmd {
  constructor(readonly user: number) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    countCommand("observe");
    const user = userOf(m, this.user);
    await observe(m, user, r.fee, r.active.get(user.user_id) !== false);
  }
  toString = () => `Observe(u${this.user})`;
}

/** The wallet's alarm, made due now: every PENDING transaction is looked up with its provider. */
export class Reconcile implements Cmd {
  constructor(readonly user: number) {}
  check = () => true;
  async run(m: Model): Promise<void> {
    countCommand("reconcile");
    await reconcileWallet(userOf(m, this.user));
  }
  toString = () => `Reconcile(u${this.user})`;
}

export class Toggle implements Cmd {
  constructor(readonly user: number) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    countCommand("toggle activity");
    const user = userOf(m, this.user);
    const next = r.active.get(user.user_id) === false;
    counts.requests += 1;
    const body = await jsonAnswer<{ is_active: boolean }>(
      await call(r.fee, "/wallet/toggle-activity", { method: "POST", headers: user.auth }),
      200,
      "toggle",
    );
    same("toggle: is_active", body.is_active, next);
    r.active.set(user.user_id, next);
  }
  toString = () => `Toggle(u${this.user})`;
}

/** Register a new user, which the rest of the sequence may then use; a second registration of the email is refused. */
export class Register implements Cmd {
  constructor(readonly again: boolean) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    countCommand("register");
    const email = uniqueEmail("model");
    const post = () =>
      call(r.fee, "/auth/register", {
        method: "POST",
        headers: { "content-type": "application/json", "cf-connecting-ip": uniqueIp() },
        body: JSON.stringify({ email, password: PASSWORD }),
      });
    counts.requests += 1;
    const created = await jsonAnswer<{ id: string }>(await post(), 201, "register");
    if (this.again) {
      counts.requests += 1;
      await problem(await post(), 409, "email_taken", "register the same email again");
      countOutcome("register: email taken");
    }
    const token = await login(r.fee, email, PASSWORD);
    const user = {
      user_id: created.id,
      email,
      password: PASSWORD,
      auth: { authorization: `Bearer ${token}` },
      txs: [],
      keys: new Map(),
    };
    m.users.push(user);
    m.logins.push(user);
    // Its starting state, from the API: an empty, active wallet.
    await observe(m, user, r.fee, true);
    countOutcome("register: created");
  }
  toString = () => `Register(${this.again ? "twice" : "once"})`;
}

async function login(fee: string, email: string, password: string): Promise<string> {
  counts.requests += 1;
  const response = await call(fee, "/auth/login", {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      "cf-connecting-ip": uniqueIp(),
    },
    body: new URLSearchParams({ username: email, password }).toString(),
  });
  return (await jsonAnswer<{ access_token: string }>(response, 200, "login")).access_token;
}

/** Log in again as a user of this sequence (or a shared registered one): the new token must show the same wallet. */
export class Login implements Cmd {
  constructor(
    readonly pick: number,
    readonly wrong: boolean,
  ) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    countCommand("login");
    const user = m.logins[this.pick % m.logins.length];
    if (this.wrong) {
      counts.requests += 1;
      const response = await call(r.fee, "/auth/login", {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          "cf-connecting-ip": uniqueIp(),
        },
        body: new URLSearchParams({
          username: user.email,
          password: `${user.password}!`,
        }).toString(),
      });
      await problem(response, 401, "unauthorized", "login with a wrong password");
      return countOutcome("login: wrong password refused");
    }
    user.auth = { authorization: `Bearer ${await login(r.fee, user.email, user.password!)}` };
    await observe(m, user, r.fee, r.active.get(user.user_id) !== false);
    countOutcome("login: token shows the same wallet");
  }
  toString = () => `Login(#${this.pick}${this.wrong ? ", wrong password" : ""})`;
}
