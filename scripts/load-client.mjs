// One simulated customer of the load check (scripts/load.mjs): a user with its
// own client address, the TypeScript client, and its own model of what its
// wallet must hold: every transaction it started, with the outcome the
// look-alikes' test numbers and accounts promise, and the money each moves.
// At the end the model is compared with what the server says.
import WebSocket from "ws";
import { ApiProblem, createWalletClient } from "./bench-client.mjs";
import { weighted } from "./load-lib.mjs";

const PASSWORD = "correct horse battery load";
/** Naira credited before the clock starts; spending never counts on later fundings. */
export const INITIAL_FUND_NAIRA = 500_000;
/** Account resolutions (verify-bank and withdraw) one client makes per minute: under BANK_LOOKUP_LIMITER's 30. */
const BANK_LOOKUPS_PER_MIN = 20;
/** Purchases (airtime and data) one client starts per minute: under PURCHASE_USER_LIMITER's 10. */
const PURCHASES_PER_MIN = 8;
/**
 * Purchases one client sends to a number that fails, per hour: under
 * PURCHASE_FAILURES_MAX (8), past which the wallet refuses purchases until the
 * oldest failure is an hour old.
 */
const FAILING_PURCHASES_PER_HOUR = 6;
const ACCOUNTS = { succeeds: "0690000031", fails: "0690000032", refused: "0690000036" };
/** VTpass look-alike test numbers: what each promises in the end. */
const PHONES = [
  ["08011111111", "SUCCESS", 60], // delivered at once
  ["201000000000", "SUCCESS", 8], // pending, delivered ~20 s later with a callback
  ["500000000000", "SUCCESS", 5], // delivered, answered without the transaction (requery)
  ["400000000000", "SUCCESS", 5], // delivered, answered with an empty body (requery)
  ["300000000000", "SUCCESS", 2], // answer held until our timeout, delivered later
  ["08035550123", "FAILED", 20], // any other number fails (016), nothing charged
];
const NETWORKS = ["mtn", "airtel", "glo", "9mobile"];
/** VTpass look-alike test meters: what each promises, and the token a delivered prepaid one carries. */
const METERS = [
  ["1111111111111", "prepaid", 50], // delivered at once, token 26362054405982757802 in the answer
  ["1010101010101", "postpaid", 25], // delivered at once, no token
  ["201000000000", "prepaid", 10], // pending, delivered ~20 s later (the token then, on requery)
  ["500000000000", "prepaid", 5], // delivered, answered unreadably: held, the token on requery
  ["45000000001", "prepaid", 10], // a meter merchant-verify refuses: 422, nothing held
];
const DISCOS = ["ikeja-electric", "eko-electric", "abuja-electric", "kano-electric"];
const TEST_TOKEN = "26362054405982757802";
/** The look-alike's test smartcard (DStv and GOtv): a change is priced from the catalogue. */
const SMARTCARD = "1212121212";

/** How often each action is chosen (the seeded mix). */
export const MIX = {
  me: 6,
  wallet: 10,
  transactions: 8,
  transaction: 8,
  catalogue: 6,
  banks: 3,
  verify_bank: 2,
  health: 4,
  fund: 7,
  withdraw: 7,
  airtime: 10,
  data: 5,
  electricity: 4,
  tv: 2,
  watch: 3,
  page: 4,
  login: 2,
  redeliver: 2,
  probe: 3,
};

export class SimClient {
  constructor({
    index,
    origin,
    recorder,
    random,
    slots,
    login_gate,
    plans,
    peers,
    request_timeout_ms,
    tag,
    rewrite,
    keep_alive = false,
  }) {
    Object.assign(this, {
      index,
      origin,
      recorder,
      random,
      slots,
      login_gate,
      plans,
      peers,
      request_timeout_ms,
      rewrite,
      keep_alive,
    });
    this.api = `${origin}/api/v1`;
    this.email = `load.${tag}.${index}@example.com`;
    this.ip = `198.19.${(index >> 8) & 255}.${index & 255}`;
    /** tx_ref -> { type, amount_minor, fee_minor, expect, how, settle_page } */
    this.txs = new Map();
    this.charges = [];
    this.watches = [];
    this.unexpected = [];
    this.ops = {};
    this.bank_lookups_ms = [];
    this.purchases_ms = [];
    this.failing_purchases_ms = [];
    this.spent_minor = 0;
    this.last = null;
    this.client = createWalletClient({
      baseUrl: origin,
      retry: { max_attempts: 1 }, // every 429 and 503 is counted, never hidden by a retry
      WebSocket,
      fetch: (request) => this.send(request),
    });
  }

  // ---- HTTP: every request is recorded ------------------------------------------

  async send(request, init = {}) {
    request.headers.set("cf-connecting-ip", this.ip);
    // One connection per request unless asked (scripts/load.mjs says why).
    if (!this.keep_alive) request.headers.set("connection", "close");
    const t0 = performance.now();
    let response;
    let body;
    try {
      response = await fetch(request, {
        signal: AbortSignal.timeout(this.request_timeout_ms),
        ...init,
      });
      body = await response.arrayBuffer();
    } catch (error) {
      this.recorder.transport(request.method, request.url, error);
      throw Object.assign(new Error(`transport: ${error?.message}`), { transport: true });
    }
    this.recorder.answer(
      request.method,
      request.url,
      performance.now() - t0,
      response,
      new TextDecoder().decode(body),
    );
    this.last = response;
    return new Response(body.byteLength ? body : null, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  }

  /** A call the client does not wrap (pages, the look-alike's checkout and control routes). */
  raw(method, url, { headers = {}, body, auth = false } = {}) {
    if (this.rewrite?.from && url.startsWith(this.rewrite.from))
      url = this.rewrite.to + url.slice(this.rewrite.from.length);
    const h = new Headers(headers);
    if (auth) h.set("authorization", `Bearer ${this.client.token}`);
    return this.send(new Request(url, { method, headers: h, body, redirect: "manual" }));
  }

  /** A refusal the model did not expect: the run fails with it. */
  fail(what, detail) {
    this.unexpected.push(
      `client ${this.index}: ${what}: ${detail instanceof Error ? detail.message : typeof detail === "string" ? detail : JSON.stringify(detail)}`,
    );
  }

  /**
   * A money call with its Idempotency-Key, sent again with the same key after
   * a 503 or a lost connection, as a careful client does: the server replays
   * or finishes the first attempt, so the customer's model stays exact. The
   * 503 itself is still counted against the run.
   */
  async idempotent(call) {
    const key = `load-${this.index}-${crypto.randomUUID()}`;
    for (let attempt = 1; ; attempt++) {
      try {
        return await call({ idempotency_key: key });
      } catch (error) {
        const again =
          (error instanceof ApiProblem &&
            (error.status === 503 || error.code === "idempotency_key_in_flight")) ||
          error?.transport;
        if (!again || attempt >= 4) throw error;
        this.retries = (this.retries ?? 0) + 1;
        await new Promise((r) => setTimeout(r, 1000 * attempt));
      }
    }
  }

  pick(list) {
    return list[Math.floor(this.random() * list.length)];
  }

  // ---- preparation (before the clock) -------------------------------------------

  async register() {
    await this.client.register({ email: this.email, password: PASSWORD });
    await this.client.login(this.email, PASSWORD);
    this.user_id = (await this.client.me()).id;
  }

  async initialFunding() {
    await this.fundAndPay(INITIAL_FUND_NAIRA, "full");
  }

  // ---- the model ------------------------------------------------------------------

  track(tx, expect, how) {
    if (this.txs.has(tx.tx_ref)) return this.fail("a new transaction reused a tx_ref", tx.tx_ref);
    this.txs.set(tx.tx_ref, {
      type: tx.type,
      amount_minor: tx.amount_minor,
      fee_minor: tx.fee_minor ?? 0,
      expect,
      how,
    });
    if (tx.type !== "FUND" && expect !== "FAILED")
      this.spent_minor += tx.amount_minor + (tx.fee_minor ?? 0);
  }

  /** What the wallet must hold once everything has settled. */
  expectedBalanceMinor() {
    let balance = 0;
    for (const t of this.txs.values()) {
      if (t.expect !== "SUCCESS") continue;
      balance += t.type === "FUND" ? t.amount_minor : -(t.amount_minor + t.fee_minor);
    }
    return balance;
  }

  /** Spending counts only on the initial funding and counts every debit not expected to fail. */
  canSpend(amount_minor) {
    return this.spent_minor + amount_minor <= INITIAL_FUND_NAIRA * 100 * 0.9;
  }

  bankLookup() {
    return this.within("bank_lookups_ms", BANK_LOOKUPS_PER_MIN, 60_000);
  }

  /** Takes one of `max` uses per `window_ms` kept in `this[field]`; false when none is left. */
  within(field, max, window_ms) {
    const now = Date.now();
    this[field] = this[field].filter((t) => now - t < window_ms);
    if (this[field].length >= max) return false;
    this[field].push(now);
    return true;
  }

  // ---- one step of the mix ----------------------------------------------------------

  async step() {
    const op = weighted(this.random, MIX);
    this.ops[op] = (this.ops[op] ?? 0) + 1;
    try {
      await this[`op_${op}`]();
    } catch (error) {
      if (error instanceof ApiProblem)
        this.fail(op, `${error.status} ${error.code} ${error.detail ?? ""}`);
      // A transport error (refused connection, reset, timeout) is already counted by the recorder.
      else if (!error?.transport) this.fail(op, error?.stack ?? error);
    }
  }

  async op_me() {
    const me = await this.client.me();
    if (me.email !== this.email) this.fail("me", me);
  }

  async op_wallet() {
    const w = await this.client.wallet();
    if (w.available_minor < 0 || w.balance_minor - w.held_minor !== w.available_minor)
      this.fail("wallet invariant available = balance - held >= 0", w);
  }

  async op_transactions() {
    const type = this.pick([undefined, "FUND", "WITHDRAW", "AIRTIME", "DATA"]);
    const list = await this.client.transactions({ limit: 20, ...(type ? { type } : {}) });
    for (const tx of list.data) {
      const mine = this.txs.get(tx.tx_ref);
      // The list may show a transaction whose answer is still on its way to this client: only known ones are compared.
      if (mine && (mine.type !== tx.type || mine.amount_minor !== tx.amount_minor))
        this.fail("transactions list", tx);
      if (type && tx.type !== type) this.fail("transactions list filter", tx);
    }
  }

  async op_transaction() {
    const refs = [...this.txs.keys()];
    if (!refs.length) return this.op_me();
    const ref = this.pick(refs);
    const tx = await this.client.transaction(ref);
    const mine = this.txs.get(ref);
    if (tx.type !== mine.type || tx.amount_minor !== mine.amount_minor)
      this.fail("transaction by tx_ref", tx);
    if (tx.status !== "PENDING" && tx.status !== mine.expect)
      this.fail(
        `transaction ${ref} (${mine.how}) ended ${tx.status}, expected ${mine.expect}`,
        tx.failure_reason,
      );
  }

  async op_catalogue() {
    const which = this.pick(["networks", "plans", "lookup", "lookup_bad"]);
    if (which === "networks") await this.client.api.GET("/api/v1/catalog/networks");
    if (which === "plans")
      await this.client.api.GET("/api/v1/catalog/data-plans", {
        params: { query: { network: this.pick(NETWORKS) } },
      });
    if (which === "lookup") {
      const { response } = await this.client.api.GET("/api/v1/catalog/phone-lookup", {
        params: { query: { phone: this.pick(["08031234567", "+2348051234567", "2347061234567"]) } },
      });
      if (response.status !== 200) this.fail("phone-lookup", response.status);
    }
    if (which === "lookup_bad") {
      const { response } = await this.client.api.GET("/api/v1/catalog/phone-lookup", {
        params: { query: { phone: "0803abc" } },
      });
      if (response.status !== 422) this.fail("phone-lookup of letters", response.status);
    }
  }

  async op_banks() {
    const { response } = await this.client.api.GET("/api/v1/wallet/flutterwave/get-banks", {
      params: { query: {} },
    });
    if (response.status !== 200) this.fail("get-banks", response.status);
  }

  async op_verify_bank() {
    if (!this.bankLookup()) return this.op_banks();
    const { response } = await this.client.api.GET("/api/v1/wallet/flutterwave/verify-bank", {
      params: { query: { account_number: ACCOUNTS.succeeds, account_bank: "044" } },
    });
    if (response.status !== 200) this.fail("verify-bank", response.status);
  }

  async op_health() {
    const res = await this.raw("GET", `${this.api}/${this.pick(["health", "health/ready"])}`);
    if (res.status !== 200) this.fail("health", res.status);
  }

  async fundAndPay(naira, outcome) {
    const funding = await this.idempotent((call) =>
      this.client.fund({ amount: String(naira) }, call),
    );
    const tx = { tx_ref: funding.tx_ref, type: "FUND", amount_minor: naira * 100, fee_minor: 0 };
    // full: credited; less: an underpayment is owed back and, by the funding rule, leaves the
    // funding PENDING (payment_mismatch) until its deadline (the session plus
    // FUNDING_DEADLINE_GRACE_MS, longer than a run), with nothing credited; fail (card declined)
    // and unpaid: the checkout stays open, so the funding stays PENDING through the run.
    const expect = { full: "SUCCESS", less: "PENDING", fail: "PENDING", unpaid: "PENDING" }[
      outcome
    ];
    this.track(tx, expect, `fund ${outcome}`);
    if (outcome === "unpaid") return;
    // The customer's browser pays on the checkout look-alike, which then sends the webhook.
    const paid = await this.raw("POST", funding.payment_link, {
      body: new URLSearchParams({ outcome }),
    }).catch((e) => e);
    if (paid.status !== 303) {
      // Whether the look-alike took the payment is unknown now: the server's word decides at the end.
      this.txs.get(tx.tx_ref).expect = "UNCERTAIN";
      return this.fail("checkout pay", paid.status ?? paid.message);
    }
    const back = new URL(paid.headers.get("location"));
    const id = back.searchParams.get("transaction_id");
    if (outcome === "full" && id) this.charges.push(id);
    this.txs.get(tx.tx_ref).page = back.href;
  }

  async op_fund() {
    const outcome = weighted(this.random, { full: 70, less: 10, fail: 10, unpaid: 10 });
    await this.fundAndPay(100 + Math.floor(this.random() * 20_000), outcome);
  }

  async op_withdraw() {
    const naira = 100 + Math.floor(this.random() * 5_000);
    if (!this.canSpend(naira * 100) || !this.bankLookup()) return this.op_wallet();
    const account = weighted(this.random, { succeeds: 70, fails: 20, refused: 10 });
    const body = { amount: String(naira), account_number: ACCOUNTS[account], account_bank: "044" };
    let key;
    let tx;
    try {
      tx = await this.idempotent((call) => {
        key = call.idempotency_key;
        return this.client.withdraw(body, call);
      });
    } catch (error) {
      if (
        account === "refused" &&
        error instanceof ApiProblem &&
        error.code === "transfer_refused" &&
        typeof error.problem.tx_ref === "string"
      ) {
        this.track(
          { tx_ref: error.problem.tx_ref, type: "WITHDRAW", amount_minor: naira * 100 },
          "FAILED",
          "withdraw refused",
        );
        return;
      }
      throw error;
    }
    if (account === "refused")
      return this.fail("withdraw to the blacklisted account was accepted", tx);
    this.track(tx, account === "succeeds" ? "SUCCESS" : "FAILED", `withdraw ${account}`);
    const retry = this.random();
    if (retry < 0.3) {
      // The client's own retry (a lost answer): the same key and body replay the first answer.
      const again = await this.client.withdraw(body, { idempotency_key: key });
      if (again.tx_ref !== tx.tx_ref || this.last.headers.get("idempotent-replayed") !== "true")
        this.fail("idempotent withdraw retry", { first: tx.tx_ref, again: again.tx_ref });
    } else if (retry < 0.4) {
      // The same key with another body is refused, and nothing is held for it.
      const changed = await this.client
        .withdraw({ ...body, amount: String(naira + 1) }, { idempotency_key: key })
        .catch((e) => e);
      if (
        !(
          changed instanceof ApiProblem &&
          changed.status === 422 &&
          changed.code === "idempotency_key_reused"
        )
      )
        this.fail("reused key with another body", changed?.message ?? changed);
    }
  }

  /** A (network, phone, amount) the look-alike has not seen within its duplicate window. */
  phone() {
    const [number, expect] = weighted(
      this.random,
      Object.fromEntries(PHONES.map(([n, e, w]) => [`${n}|${e}`, w])),
    ).split("|");
    // A customer who has had a few failures this hour buys for a number that works.
    if (
      expect === "FAILED" &&
      !this.within("failing_purchases_ms", FAILING_PURCHASES_PER_HOUR, 3_600_000)
    )
      return { number: PHONES[0][0], expect: PHONES[0][1] };
    return { number, expect };
  }

  async op_airtime() {
    if (!this.within("purchases_ms", PURCHASES_PER_MIN, 60_000)) return this.op_wallet();
    const network = this.pick(NETWORKS);
    const { number, expect } = this.phone();
    for (let tries = 0; tries < 20; tries++) {
      const naira = 50 + Math.floor(this.random() * 4_950);
      if (!this.canSpend(naira * 100)) return this.op_wallet();
      const slot = this.slots.reserve(network, number, naira * 100);
      if (!slot) continue;
      return this.purchase(
        slot,
        () =>
          this.idempotent((call) =>
            this.client.buyAirtime({ phone: number, network, amount: String(naira) }, call),
          ),
        expect,
        `airtime ${number}`,
      );
    }
  }

  async op_data() {
    if (!this.within("purchases_ms", PURCHASES_PER_MIN, 60_000)) return this.op_wallet();
    const network = this.pick(NETWORKS);
    const { number, expect } = this.phone();
    const plans = [...this.plans[network]].sort(() => this.random() - 0.5);
    for (const plan of plans) {
      if (!this.canSpend(plan.price_minor)) return this.op_wallet();
      const slot = this.slots.reserve(`${network}-data`, number, plan.price_minor);
      if (!slot) continue;
      return this.purchase(
        slot,
        () =>
          this.idempotent((call) =>
            this.client.buyData({ phone: number, network, plan: plan.code }, call),
          ),
        expect,
        `data ${number}`,
      );
    }
    return this.op_airtime(); // every plan of this network was bought for this number within the window
  }

  async purchase(slot, buy, expect, how) {
    try {
      const p = await buy();
      this.track(p, expect, how);
      if (p.status !== "PENDING" && p.status !== expect)
        this.fail(`${how} answered ${p.status}`, p.failure_reason);
    } catch (error) {
      if (
        error instanceof ApiProblem &&
        error.code === "purchase_refused" &&
        typeof error.problem.tx_ref === "string"
      ) {
        // Refused: nothing taken, and the transaction exists (FAILED). Tracked either way; unexpected only for a number that delivers.
        const tx = await this.client.transaction(error.problem.tx_ref);
        this.track(tx, "FAILED", `${how} refused`);
        if (expect !== "FAILED") this.fail(`${how} refused`, error.detail);
        return;
      }
      throw error;
    } finally {
      this.slots.release(slot);
    }
  }

  /**
   * A bill through the typed client's route table (POST /wallet/electricity or
   * /wallet/tv), with an Idempotency-Key sent again after a 503 or a lost
   * connection as `idempotent` does; a refusal is thrown as ApiProblem.
   */
  async payBill(path, body) {
    return this.idempotent(async ({ idempotency_key }) => {
      const { data, response } = await this.client.api.POST(path, {
        body,
        params: { header: { "idempotency-key": idempotency_key } },
      });
      if (response.status === 202) return data;
      throw await ApiProblem.fromResponse(response);
    });
  }

  async op_electricity() {
    if (!this.within("purchases_ms", PURCHASES_PER_MIN, 60_000)) return this.op_wallet();
    const [meter, type] = weighted(
      this.random,
      Object.fromEntries(METERS.map(([m, t, w]) => [`${m}|${t}`, w])),
    ).split("|");
    const disco = this.pick(DISCOS);
    if (meter === "45000000001") {
      const { response } = await this.client.api.POST("/api/v1/wallet/electricity", {
        body: { disco, meter, type, amount: 1000, phone: "08031234567" },
      });
      if (response.status !== 422) this.fail("electricity to a wrong meter", response.status);
      return;
    }
    for (let tries = 0; tries < 20; tries++) {
      const naira = 1_000 + Math.floor(this.random() * 19_000);
      if (!this.canSpend(naira * 100)) return this.op_wallet();
      const slot = this.slots.reserve(disco, meter, naira * 100);
      if (!slot) continue;
      const how = `electricity ${type} ${meter}`;
      return this.purchase(
        slot,
        async () => {
          const bill = await this.payBill("/api/v1/wallet/electricity", {
            disco,
            meter,
            type,
            amount: naira,
            phone: "08031234567",
          });
          // The token is in the answer exactly when the answer delivered a prepaid meter.
          const token_now = type === "prepaid" && bill.status === "SUCCESS";
          if (token_now ? bill.token !== TEST_TOKEN : bill.token !== null)
            this.fail(`${how}: token ${bill.token} with status ${bill.status}`, bill.tx_ref);
          return bill;
        },
        "SUCCESS",
        how,
      );
    }
  }

  async op_tv() {
    if (!this.within("purchases_ms", PURCHASES_PER_MIN, 60_000)) return this.op_wallet();
    const provider = this.pick(["dstv", "gotv"]);
    const { data } = await this.client.api.GET("/api/v1/catalog/tv/{provider}/bouquets", {
      params: { path: { provider } },
    });
    if (!data?.data?.length) return this.fail("tv bouquets", provider);
    for (let tries = 0; tries < 20; tries++) {
      const bouquet = this.pick(data.data);
      const months = 1 + Math.floor(this.random() * 3);
      const minor = bouquet.price_minor * months;
      if (!this.canSpend(minor)) return this.op_wallet();
      const slot = this.slots.reserve(provider, SMARTCARD, minor);
      if (!slot) continue;
      return this.purchase(
        slot,
        () =>
          this.payBill("/api/v1/wallet/tv", {
            provider,
            smartcard: SMARTCARD,
            action: "change",
            bouquet: bouquet.code,
            quantity: months,
            phone: "08031234567",
          }),
        "SUCCESS",
        `tv ${provider} ${bouquet.code} x${months}`,
      );
    }
  }

  /** Watches one of its transactions over the WebSocket, in the background; checked at the end. */
  async op_watch() {
    const candidates = [...this.txs.entries()].filter(
      ([ref, t]) =>
        t.expect !== "PENDING" &&
        t.expect !== "UNCERTAIN" &&
        !this.watches.some((w) => w.tx_ref === ref),
    );
    if (!candidates.length) return this.op_wallet();
    const [tx_ref, t] =
      candidates[
        candidates.length - 1 - Math.floor(this.random() * Math.min(3, candidates.length))
      ];
    const started = performance.now();
    const frames = [];
    const done = (async () => {
      try {
        for await (const frame of this.client.watch(tx_ref, {
          signal: AbortSignal.timeout(240_000),
        })) {
          if (!frames.length) this.recorder.ws_first_frame_ms.push(performance.now() - started);
          frames.push(frame);
        }
      } catch (error) {
        return { tx_ref, error: `${error?.name}: ${error?.message}` };
      }
      const versions = frames.map((f) => f.version);
      const ordered = versions.every((v, i) => i === 0 || v > versions[i - 1]);
      const last = frames.at(-1);
      if (!ordered) return { tx_ref, error: `versions out of order: ${versions.join(",")}` };
      if (!last || last.status !== t.expect)
        return {
          tx_ref,
          error: `last frame ${last?.status} (${last?.stage}), expected ${t.expect}`,
        };
      return { tx_ref, frames: frames.length };
    })();
    this.watches.push({ tx_ref, done });
  }

  async op_page() {
    const refs = [...this.txs.entries()];
    const [ref, t] = refs.length ? this.pick(refs) : [null, null];
    let res;
    if (!t) res = await this.raw("GET", `${this.api}/pages/watch.js`);
    else if (t.type === "WITHDRAW")
      res = await this.raw("GET", `${this.api}/wallet/withdraw/success/${ref}`, { auth: true });
    else if (t.type === "FUND" && t.page)
      res = await this.raw("GET", t.page); // where the checkout sends the browser back
    else if (t.type !== "FUND")
      res = await this.raw("GET", `${this.api}/wallet/purchases/${ref}`, { auth: true });
    else res = await this.raw("GET", `${this.api}/pages/watch.js`);
    if (res.status !== 200) this.fail("page", `${res.status} ${res.url}`);
  }

  async op_login() {
    if (!this.login_gate.take()) return this.op_me();
    await this.client.login(this.email, PASSWORD);
  }

  /** Flutterwave delivers a webhook again (at least once): a paid funding's charge.completed, redelivered. */
  async op_redeliver() {
    if (!this.charges.length) return this.op_wallet();
    const id = this.pick(this.charges);
    const res = await this.raw(
      "POST",
      `${this.origin}/__sandbox/flutterwave/__control/transactions/${id}/deliver`,
      { headers: { "content-type": "application/json" }, body: "{}" },
    );
    if (res.status !== 200) this.fail("webhook redelivery", res.status);
  }

  /** What a curious or hostile client tries: each must be refused with the right problem. */
  async op_probe() {
    const which = this.pick(["foreign_tx", "no_token", "bad_token", "bad_amount"]);
    const peer = this.peers[(this.index + 1) % this.peers.length];
    const foreign = peer === this ? undefined : [...peer.txs.keys()][0];
    let res;
    let want;
    if (which === "foreign_tx" && foreign) {
      res = await this.raw("GET", `${this.api}/wallet/transactions/${foreign}`, { auth: true });
      want = 404;
    } else if (which === "no_token") {
      res = await this.raw("GET", `${this.api}/wallet`);
      want = 401;
    } else if (which === "bad_token") {
      res = await this.raw("GET", `${this.api}/auth/me`, {
        headers: { authorization: `Bearer ${this.client.token.slice(0, -4)}AAAA` },
      });
      want = 401;
    } else {
      // Three decimals: refused before anything is stored (FUND_USER_LIMITER counts it).
      res = await this.raw("POST", `${this.api}/wallet/fund`, {
        auth: true,
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify({ amount: "1200.345" }),
      });
      want = 422;
    }
    if (res.status !== want) this.fail(`probe ${which}`, `${res.status}, expected ${want}`);
  }
}
