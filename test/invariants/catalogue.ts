/**
 * The money invariants (docs/architecture.md, "Money invariants") and the
 * tests that prove each one, as the security catalogue does for attacks.
 * test/static/invariants.test.ts checks that every invariant has proofs,
 * that each named file exists and still declares a test of exactly that
 * name, so the list cannot rot when a test is renamed or removed.
 *
 * `test` is the test's name as written in the source (for a test built in a
 * loop or with a template literal, the literal verbatim, `${...}` included).
 */

export type Invariant = {
  /** The invariant's number in the architecture document. */
  n: 1 | 2 | 3 | 4 | 5 | 6 | 7;
  statement: string;
  proofs: { file: string; test: string }[];
};

const MONEY = "test/domain/money.test.ts";
const HELD_RULE = "test/domain/held-payment.test.ts";
const FUNDING_RULE = "test/domain/transactions.test.ts";
const PROPERTY = "test/durable/wallet/property.test.ts";
const TIME_PROPERTY = "test/durable/wallet/time-property.test.ts";
const WALLET = "test/durable/wallet/wallet.test.ts";
const GUARDS = "test/durable/wallet/guards.test.ts";
const ATOMIC = "test/durable/wallet/atomic.test.ts";
const WITHDRAWALS = "test/routes/withdrawals/withdrawals.test.ts";
const PURCHASES = "test/routes/purchases/purchases.test.ts";
const FUNDING = "test/routes/wallet/funding.test.ts";
const LATE = "test/routes/wallet/late-money.test.ts";
const CONSUMER = "test/queue/consumer.test.ts";

export const INVARIANTS: Invariant[] = [
  {
    n: 1,
    statement:
      "Amounts are integers in kobo inside; decimal naira at the edges, converted by string arithmetic, never floating point.",
    proofs: [
      { file: MONEY, test: "round-trips every safe amount through format and parse" },
      { file: MONEY, test: "reads a JSON number with up to two decimals exactly (no float drift)" },
      {
        file: MONEY,
        test: "rounds provider amounts down past the second decimal, so a fraction never tips a check our way",
      },
    ],
  },
  {
    n: 2,
    statement: "available = balance - open holds, and available >= 0 after every operation.",
    proofs: [
      {
        file: PROPERTY,
        test: "keeps invariants 2, 3, 4 and 5 after every step of ${RUNS} generated sequences",
      },
      {
        file: WITHDRAWALS,
        test: "with a balance of 10,000 gives exactly 10 holds and 15 refusals to 25 concurrent withdrawals of 1,000",
      },
      { file: WITHDRAWALS, test: "never lets available go below zero, whatever the interleaving" },
      {
        file: PURCHASES,
        test: "mixes purchases and withdrawals on one balance without ever going below zero",
      },
      {
        file: WITHDRAWALS,
        test: "refuses a withdrawal over the available balance with 422 and holds nothing",
      },
    ],
  },
  {
    n: 3,
    statement:
      "A withdrawal or purchase holds first; provider success posts and closes the hold, failure voids it; an unknown outcome stays pending, is re-queried, never re-submitted and never refunded on a guess.",
    proofs: [
      {
        file: HELD_RULE,
        test: "never posts a success for another amount, above or below the hold: it escalates instead",
      },
      {
        file: HELD_RULE,
        test: "waits (keeps the hold) while the provider reports pending before the deadline",
      },
      {
        file: WITHDRAWALS,
        test: "holds amount + fee, creates the transfer with reference = tx_ref, and debits once the transfer succeeds",
      },
      { file: WITHDRAWALS, test: "voids the hold when the transfer fails (account 0690000032)" },
      {
        file: WITHDRAWALS,
        test: "keeps the hold when the create call times out, finds the transfer by reference, never creates a second one",
      },
      {
        file: WITHDRAWALS,
        test: "never refunds on a guess: a transfer the provider cannot find keeps its hold and is escalated past the deadline",
      },
      {
        file: PURCHASES,
        test: "holds 201000000000 while VTpass says pending, then delivers it by requery, never by guess",
      },
      {
        file: PURCHASES,
        test: "keeps a purchase whose answer was lost (5xx) pending, and never refunds it on a guess",
      },
      {
        file: "test/services/decisions.test.ts",
        test: "refuses with provider_answered when VTpass has failed it by the requery, and releases the money as VTpass said",
      },
      {
        file: "test/durable/wallet/decisions.test.ts",
        test: "never create or destroy money, resolve each hold once, and never override a definite provider answer",
      },
      { file: GUARDS, test: "lets exactly one of many concurrent callers claim a submission" },
      {
        file: PROPERTY,
        test: "keeps invariants 2, 3, 4 and 5 after every step of ${RUNS} generated sequences",
      },
    ],
  },
  {
    n: 4,
    statement:
      "A funding is credited only after the provider's verify says successful, same tx_ref, same currency, amount at least the expected; each transaction reaches a terminal state once; duplicate, late and out-of-order events change nothing, and money that arrives late is recorded, never dropped.",
    proofs: [
      {
        file: WALLET,
        test: "credits a verified payment once even when the same facts arrive 50 times at once",
      },
      {
        file: WALLET,
        test: "credits once when a failed attempt arrives before, between and after the success",
      },
      {
        file: WALLET,
        test: "never credits an underpayment, a wrong currency or another reference's payment; owes the first two back and keeps their checkouts open",
      },
      {
        file: FUNDING,
        test: "never credits a charge Flutterwave reports as pending: not from its webhook, not from the reconciler",
      },
      {
        file: CONSUMER,
        test: "changes nothing when the webhook arrives after the reconciler already settled the funding",
      },
      {
        file: GUARDS,
        test: "refuses, in SQL, any change to a settled transaction and a second resolution of its hold",
      },
      {
        file: LATE,
        test: "is recorded as paid_after_terminal for its charge, once, and never credited by itself",
      },
      {
        file: LATE,
        test: "records a second successful payment on a credited funding as paid_twice, crediting only the first",
      },
      {
        file: FUNDING_RULE,
        test: "never credits a charge already owed back, and at the deadline ends the funding without owing it twice",
      },
      {
        file: PROPERTY,
        test: "keeps invariants 2, 3, 4 and 5 after every step of ${RUNS} generated sequences",
      },
    ],
  },
  {
    n: 5,
    statement:
      "Every balance change writes a journal row in the same storage transaction; the balance always equals the sum of the journal.",
    proofs: [
      { file: ATOMIC, test: "runs every write of every path inside transactionSync" },
      {
        file: PROPERTY,
        test: "keeps invariants 2, 3, 4 and 5 after every step of ${RUNS} generated sequences",
      },
      {
        file: TIME_PROPERTY,
        test: "keeps invariants 2 to 7 and the anomaly model after every step of ${RUNS} generated sequences",
      },
    ],
  },
  {
    n: 6,
    statement:
      "A retry with the same Idempotency-Key replays the first answer; the same key with another body is refused.",
    proofs: [
      {
        file: WALLET,
        test: "replays the stored answer, refuses another body, and reports a live in-flight key",
      },
      {
        file: FUNDING,
        test: "replays the first answer for the same key and body, creating one transaction",
      },
      { file: FUNDING, test: "refuses the same key with a different body with 422" },
      {
        file: WITHDRAWALS,
        test: "replays the first answer and creates one transfer; a different body is refused",
      },
      {
        file: PURCHASES,
        test: "replays the first answer for the same key and body, refuses a changed body, and pays once",
      },
    ],
  },
  {
    n: 7,
    statement:
      "Nothing stays pending forever: an alarm re-verifies pending transactions on a backoff schedule and escalates what stays unknown past a deadline.",
    proofs: [
      { file: WALLET, test: "is armed when a funding opens and follows it to its terminal state" },
      {
        file: GUARDS,
        test: "escalates, once, a transfer the provider still reports pending after the deadline, and keeps its hold",
      },
      {
        file: GUARDS,
        test: "checks a transaction at its deadline when the backoff would overshoot it, and escalates it then",
      },
      { file: FUNDING, test: "expires a funding nobody paid once its deadline passes" },
      {
        file: FUNDING_RULE,
        test: "escalates a charge the provider still calls pending past the deadline, and never fails it on a guess",
      },
      {
        file: TIME_PROPERTY,
        test: "keeps invariants 2 to 7 and the anomaly model after every step of ${RUNS} generated sequences",
      },
    ],
  },
];
