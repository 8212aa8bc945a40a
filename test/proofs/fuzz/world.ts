/**
 * The fuzzer's world: a few real users, prepared once through the API (argon2id
 * registration is the expensive part), funded through the Flutterwave
 * look-alike's checkout, and given transactions so that identifiers exist to
 * steal. And what "state" means for the property "no 4xx changes anything":
 * what the API itself shows about a user (wallet, transaction list, the
 * operator's audit with its journal rows and anomalies).
 */
import { requireConfig } from "../../../src/lib/config";
import { newUserId, randomBase32 } from "../../../src/lib/ids";
import { issueAccessToken } from "../../../src/lib/tokens";
import {
  PASSWORD,
  apiInProcess as api,
  authedJson,
  bearerFor,
  env,
  eventually,
  form,
  newWallet,
  registerAndLogin,
  uniqueEmail,
  uniqueIp,
  verifyForAmount,
} from "../../support/helpers";
import { operatorHeaders } from "../../support/operators";
import { uniqueMtnNumber } from "../../support/purchases";
import { choose } from "../../support/sandbox";

export type User = {
  email: string;
  user_id: string;
  token: string;
  auth: Record<string, string>;
  tx_refs: string[];
  ticket: string;
  /** Its saved recipient's and its schedule's ids (the `id` of those routes, a purchase's `beneficiary_id`). */
  owned_ids: string[];
};

export type World = {
  runTag: string;
  /** The user most requests act as; valid requests change its state (that is their job). */
  actor: User;
  /** Never acts: its identifiers are what the actor tries to steal; its state must never change. */
  victim: User;
  /** Registered for login fuzzing only, so failed logins never throttle anyone else. */
  loginOnlyEmail: string;
  /** A correctly signed token for a user that does not exist. */
  ghostUserId: string;
  ghostToken: string;
  /** Correctly signed for the actor, but issued long ago. */
  expiredToken: string;
  /** The actor's id, signed with a key that is not ours. */
  foreignKeyToken: string;
  adminToken: string;
  /** An approver signed in through Access (the look-alike): the valid credential of operators' acts. */
  operatorAuth: Record<string, string>;
  webhookHash: string;
  vtpassCallbackSecret: string;
  plans: string[];
  /** Every TV service's bouquet codes (a change names one; another service's is refused 422). */
  bouquets: string[];
  /** The same codes by TV service, for requests whose fields must agree (a change names its service's bouquet). */
  bouquetsByProvider: Record<string, string[]>;
};

/** A small whole-naira amount that differs between runs (the look-alike refuses the same number and amount twice within 30 s). */
function smallNaira(): string {
  return String(100 + (crypto.getRandomValues(new Uint16Array(1))[0] % 400));
}

/** A read of state that does not answer is a failure of its own, named, rather than a test that times out mute. */
export const STATE_READ_TIMEOUT_MS = 15_000;

async function ok(
  response: Response | Promise<Response>,
  status: number,
  what: string,
): Promise<any> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what}: no answer within ${STATE_READ_TIMEOUT_MS} ms`)),
      STATE_READ_TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([read(response, status, what), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function read(
  pending: Response | Promise<Response>,
  status: number,
  what: string,
): Promise<any> {
  const response = await pending;
  const text = await response.text();
  if (response.status !== status)
    throw new Error(`${what}: expected ${status}, got ${response.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

/** Fund through hosted checkout, paid in full in the look-alike: webhook -> queue -> verify -> credit. */
async function fundThroughCheckout(
  user: { auth: Record<string, string> },
  amount: string,
): Promise<{ tx_ref: string; ticket: string }> {
  const funding = await ok(
    await api(
      "/wallet/fund",
      authedJson(user.auth, { amount }, { "cf-connecting-ip": uniqueIp() }),
    ),
    201,
    "fund",
  );
  const paid = await choose(funding.payment_link, "full");
  if (paid.status !== 303) throw new Error(`checkout: ${paid.status}`);
  await eventually(async () => {
    const tx = await ok(
      await api(`/wallet/transactions/${funding.tx_ref}`, { headers: user.auth }),
      200,
      "funding status",
    );
    if (tx.status !== "SUCCESS") throw new Error(`funding still ${tx.status}`);
  }, 20_000);
  return { tx_ref: funding.tx_ref, ticket: funding.watch.ticket };
}

/** A user with money, a settled funding, a pending withdrawal, a delivered and a failed airtime purchase, and an unpaid funding. */
async function preparedUser(tag: string, amount: string): Promise<User> {
  const user = await registerAndLogin(uniqueEmail(tag));
  // Verified to the KYC tier that lets it fund `amount` and still spend the same day.
  await verifyForAmount(env.WALLET.getByName(user.user_id), user.user_id, Number(amount) * 100);
  const funded = await fundThroughCheckout(user, amount);
  const headers = { accept: "application/json", "cf-connecting-ip": uniqueIp() };
  const withdrawal = await ok(
    await api(
      "/wallet/withdraw",
      authedJson(
        user.auth,
        { amount: "1000", account_number: "0690000031", account_bank: "044" },
        headers,
      ),
    ),
    202,
    "withdraw",
  );
  const delivered = await ok(
    await api(
      "/wallet/airtime",
      authedJson(
        user.auth,
        { phone: "08011111111", amount: smallNaira(), network: "mtn" },
        headers,
      ),
    ),
    202,
    "airtime delivered",
  );
  const refused = await ok(
    await api(
      "/wallet/airtime",
      authedJson(
        user.auth,
        { phone: uniqueMtnNumber(), amount: smallNaira(), network: "mtn" },
        headers,
      ),
    ),
    202,
    "airtime refused",
  );
  const unpaid = await ok(
    await api("/wallet/fund", authedJson(user.auth, { amount: "2500" }, headers)),
    201,
    "unpaid fund",
  );
  return {
    ...user,
    tx_refs: [funded.tx_ref, withdrawal.tx_ref, delivered.tx_ref, refused.tx_ref, unpaid.tx_ref],
    ticket: unpaid.watch.ticket,
    owned_ids: await savedAndScheduled(user.auth),
  };
}

/** A saved phone and a daily airtime schedule for it: the ids of a user's own recipients and schedules. */
async function savedAndScheduled(auth: Record<string, string>): Promise<string[]> {
  const saved = await ok(
    await api("/wallet/beneficiaries", {
      ...authedJson(auth, { kind: "phone", nickname: "fuzz", phone: uniqueMtnNumber() }),
    }),
    201,
    "beneficiary",
  );
  const schedule = await ok(
    await api(
      "/wallet/schedules",
      authedJson(auth, {
        beneficiary_id: saved.id,
        product: { kind: "airtime", amount: "100" },
        frequency: "daily",
        time: "08:00",
      }),
    ),
    201,
    "schedule",
  );
  return [saved.id, schedule.id];
}

/**
 * A user for one lane of writes (one operation's requests, in order): its
 * wallet is made directly (no password to hash: lanes need a wallet and a
 * token, not a login), then funded through the look-alike's checkout when the
 * operation spends, and given an unpaid funding so it has a ticket and a
 * pending transaction of its own.
 */
export async function laneUser(funded: boolean): Promise<User> {
  const wallet = await newWallet(uniqueEmail("fuzz-lane"));
  const auth = await bearerFor(wallet.user_id);
  const user = {
    email: wallet.email,
    user_id: wallet.user_id,
    token: auth.authorization.slice("Bearer ".length),
    auth,
  };
  const tx_refs: string[] = [];
  if (funded) {
    // NGN 2,000,000 in one day: a tier 3 wallet's (verified, an approver's upgrade).
    await verifyForAmount(wallet.stub, wallet.user_id, 2_000_000_00);
    tx_refs.push((await fundThroughCheckout(user, "2000000")).tx_ref);
  }
  const unpaid = await ok(
    await api(
      "/wallet/fund",
      authedJson(auth, { amount: "2500" }, { "cf-connecting-ip": uniqueIp() }),
    ),
    201,
    "lane unpaid fund",
  );
  tx_refs.push(unpaid.tx_ref);
  return {
    ...user,
    tx_refs,
    ticket: unpaid.watch.ticket,
    owned_ids: await savedAndScheduled(auth),
  };
}

export async function prepareWorld(): Promise<World> {
  const config = requireConfig(env);
  const [actor, victim, loginOnly] = await Promise.all([
    preparedUser("fuzz-actor", "50000"),
    preparedUser("fuzz-victim", "50000"),
    ok(
      await api("/auth/register", form({ email: uniqueEmail("fuzz-login"), password: PASSWORD })),
      201,
      "register login-only",
    ),
  ]);
  const ghostUserId = newUserId();
  const now_s = Math.floor(Date.now() / 1000);
  const expired = await issueAccessToken(config, actor.user_id, now_s - 30 * 24 * 3600);
  const foreign = await issueAccessToken(
    { ...config, JWT_SECRET_KEY: "not-our-key-but-long-enough-0123456789abcdef" },
    actor.user_id,
  );
  const plans = await ok(
    await api("/catalog/data-plans?network=mtn", { headers: actor.auth }),
    200,
    "plans",
  );
  const bouquets: string[] = [];
  const bouquetsByProvider: Record<string, string[]> = {};
  for (const provider of ["dstv", "gotv", "startimes", "showmax"]) {
    const listed = await ok(
      await api(`/catalog/tv/${provider}/bouquets`, { headers: actor.auth }),
      200,
      `${provider} bouquets`,
    );
    bouquetsByProvider[provider] = (listed.data as { code: string }[]).map((b) => b.code);
    bouquets.push(...bouquetsByProvider[provider]);
  }
  const vtpass = config.vtpass;
  if (!vtpass) throw new Error("VTpass is not configured in the test environment");
  return {
    runTag: randomBase32(6),
    actor,
    victim,
    loginOnlyEmail: loginOnly.email,
    ghostUserId,
    ghostToken: (await issueAccessToken(config, ghostUserId)).access_token,
    expiredToken: expired.access_token,
    foreignKeyToken: foreign.access_token,
    adminToken: config.ADMIN_API_TOKEN,
    operatorAuth: await operatorHeaders(`fuzz-approver-${randomBase32(6)}@example.com`, "approver"),
    webhookHash: config.FLUTTERWAVE_WEBHOOK_HASH,
    vtpassCallbackSecret: vtpass.callback_secret,
    plans: (plans.data as { code: string }[]).map((p) => p.code),
    bouquets,
    bouquetsByProvider,
  };
}

// ---- State ------------------------------------------------------------------------------

export type Snapshot = Record<string, unknown>;

/** Everything the API shows about a user that a request could change, read through the API itself. */
export async function snapshot(world: World, user: User): Promise<Snapshot> {
  const admin = { authorization: `Bearer ${world.adminToken}` };
  const [wallet, audit] = await Promise.all([
    ok(api("/wallet", { headers: user.auth }), 200, `snapshot wallet of ${user.user_id}`),
    ok(
      api(`/admin/wallets/${user.user_id}/audit`, { headers: admin }),
      200,
      `snapshot audit of ${user.user_id}`,
    ),
  ]);
  const transactions: string[] = [];
  let after: string | null = null;
  for (let page = 0; page < 50; page++) {
    const query: string = `/wallet/transactions?limit=100${after ? `&starting_after=${after}` : ""}`;
    const list = await ok(
      api(query, { headers: user.auth }),
      200,
      `snapshot transactions of ${user.user_id}`,
    );
    for (const tx of list.data)
      transactions.push(`${tx.tx_ref}:${tx.status}:${tx.stage}:${tx.amount_minor}`);
    if (!list.has_more) break;
    after = list.data[list.data.length - 1].tx_ref;
  }
  return {
    wallet,
    transactions: transactions.sort(),
    journal_rows: audit.journal_rows,
    journal_balance_minor: audit.journal_balance_minor,
    audit_ok: audit.ok,
    anomalies: audit.anomalies.length,
  };
}

/** The ghost's state is that it has none: no wallet appears for a user who never registered. */
export async function ghostSnapshot(world: World): Promise<Snapshot> {
  const audit = await api(`/admin/wallets/${world.ghostUserId}/audit`, {
    headers: { authorization: `Bearer ${world.adminToken}` },
  });
  return {
    audit_status: audit.status,
    body: (await audit.text()).replace(/"request_id":"[^"]*"/, ""),
  };
}
