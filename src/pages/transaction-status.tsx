/** @jsxImportSource hono/jsx */
/**
 * The status page a browser sees for one transaction: the Flutterwave callback
 * (funding), the withdrawal page and the purchase page (which also says what
 * was bought: network, number, plan). It says plainly what happened and what to
 * do next. It renders only what the wallet knows; the query string that
 * brought the browser here is never trusted.
 */
import { formatMinor } from "../domain/money";
import type { Stage } from "../domain/flows";
import { NETWORK_NAMES, NETWORKS, phoneForReading, type Network } from "../domain/phone";
import { TX_STATUSES, type TxStatus } from "../domain/transactions";
import type { TransactionRecord } from "../durable/wallet/object";
import { API_BASE_PATH } from "../lib/urls";
import { BillRows, billDeliveredNext, billShown, billWords, TokenSlot } from "./bill-status";
import { Page } from "./layout";
import { WATCH_ROOT_ID } from "./watch-script";

export type Kind = "funding" | "withdrawal" | "purchase";

/** Where the page's script is served (src/routes/pages/) and where it connects (src/routes/ws/). */
export const WATCH_SCRIPT_PATH = `${API_BASE_PATH}/pages/watch.js`;
export const WATCH_SOCKET_PATH = `${API_BASE_PATH}/ws/wallet`;

/**
 * What the words depend on. `stage` is a flow stage, or any other word for "no
 * particular stage"; `type` and `details` say what a purchase bought.
 */
type Shown = Pick<TransactionRecord, "status" | "amount_minor" | "currency" | "failure_reason"> & {
  stage: string;
} & Partial<Pick<TransactionRecord, "type" | "details">>;

/**
 * What a purchase bought, in the words its buyer would use: the network's
 * name, the number as they wrote it (grouped for reading; the digits are the
 * ones sent to VTpass) and, for data, the plan's name. Null for anything else,
 * or a purchase whose details say neither network nor number.
 */
export function purchaseShown(
  tx: Pick<TransactionRecord, "details"> & Partial<Pick<TransactionRecord, "type">>,
): { network: string; number: string; plan: string | null } | null {
  if (tx.type !== "AIRTIME" && tx.type !== "DATA") return null;
  const text = (key: string) =>
    typeof tx.details[key] === "string" && tx.details[key] !== ""
      ? (tx.details[key] as string)
      : null;
  const network = text("network");
  const phone = text("phone");
  if (!network || !phone) return null;
  return {
    network: NETWORKS.includes(network as Network) ? NETWORK_NAMES[network as Network] : network,
    number: phoneForReading(text("phone_input"), phone),
    plan: tx.type === "DATA" ? (text("plan_name") ?? text("plan_code")) : null,
  };
}

/** "NGN 500.00 of MTN airtime for 0803 123 4567" (data adds the plan's name; a bill names its DisCo or service and meter or smartcard), or the bare amount when the purchase does not say what it bought. */
function purchaseWords(tx: Shown, amount: string): string {
  const bill = tx.details ? billShown({ type: tx.type, details: tx.details }) : null;
  if (bill) return billWords(bill, amount);
  const bought = tx.details ? purchaseShown({ type: tx.type, details: tx.details }) : null;
  if (!bought) return `your ${amount} purchase`;
  if (bought.plan)
    return `${amount} of ${bought.network} data (${bought.plan}) for ${bought.number}`;
  return `${amount} of ${bought.network} airtime for ${bought.number}`;
}

const capitalised = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

export function statusMessages(kind: Kind, tx: Shown) {
  const amount = `${tx.currency} ${formatMinor(tx.amount_minor)}`;
  if (kind === "funding") {
    switch (tx.status) {
      case "SUCCESS":
        return {
          headline: "Payment received",
          body: `${amount} has been added to your wallet.`,
          next: "You can close this page and return to the app.",
        };
      case "FAILED":
        return {
          headline: "Payment not completed",
          body: tx.failure_reason ?? "The payment did not go through.",
          next: "Nothing was added to your wallet. You can start a new funding from the app.",
        };
      case "PENDING":
        return {
          headline:
            tx.stage === "attempt_failed" ? "Payment attempt failed" : "Confirming your payment",
          body:
            tx.stage === "attempt_failed"
              ? `The last attempt to pay ${amount} failed. You can try again on the checkout page while it is open.`
              : `We are confirming your payment of ${amount} with Flutterwave.`,
          next: "This page updates by itself. You can also close it: your wallet is credited as soon as the payment is confirmed.",
        };
    }
  }
  if (kind === "purchase") {
    const bought = purchaseWords(tx, amount);
    const bill = tx.details ? billShown({ type: tx.type, details: tx.details }) : null;
    // Who delivers it: the network for airtime and data, the DisCo or the TV service for a bill.
    const deliverer = bill ? bill.service : "the network";
    switch (tx.status) {
      case "SUCCESS":
        return {
          headline: bill?.kind === "electricity" ? "Paid" : "Delivered",
          body: `${capitalised(bought)} was ${bill?.kind === "electricity" ? "paid" : "delivered"}.`,
          next: bill
            ? billDeliveredNext(bill)
            : "The network may take a minute to show it on the phone.",
        };
      case "FAILED":
        return {
          headline: tx.stage === "reversed" ? "Purchase reversed" : "Purchase not completed",
          body: tx.failure_reason ?? "The purchase did not go through.",
          next: "The money is available in your wallet again.",
        };
      case "PENDING":
        return {
          headline: tx.stage === "hold_placed" ? "Held" : `Sending to ${deliverer}`,
          body: `We are sending ${bought} to ${deliverer}.`,
          next: `This page updates by itself. The amount is held in your wallet until ${deliverer} confirms.`,
        };
    }
  }
  switch (tx.status) {
    case "SUCCESS":
      return {
        headline: "Withdrawal sent",
        body: `${amount} has been sent to your bank account.`,
        next: "It usually arrives within minutes.",
      };
    case "FAILED":
      return {
        headline: "Withdrawal failed",
        body: tx.failure_reason ?? "The bank transfer did not go through.",
        next: "The money is available in your wallet again. Check the account details and try again.",
      };
    case "PENDING":
      return {
        headline: "Withdrawal in progress",
        body: `We are sending ${amount} to your bank account.`,
        next: "This page updates by itself. The amount is held in your wallet until the bank confirms.",
      };
  }
}

type LiveText = { headline: string; body: string; next: string; reason_replaces_body: boolean };
/** Keyed by status, plus `STATUS:stage` for the stages whose words differ (see LIVE_STAGES). */
export type LiveTexts = Record<TxStatus, LiveText> & Record<string, LiveText>;

/** Stages that change what a PENDING page says. */
const LIVE_STAGES = ["attempt_failed"] as const satisfies readonly Stage[];

/** A reason no real failure has: used to ask statusMessages whether it shows the reason. */
const REASON_PROBE = "\u0000reason";

/**
 * The texts of all three statuses for one transaction, for watch.js to switch
 * between without a reload. They come from `statusMessages` itself, so the
 * browser says exactly what the server would have rendered. The one part that
 * depends on news the page has not seen yet is a failure's reason; whether a
 * status shows the reason instead of its body is asked of `statusMessages` too
 * (`reason_replaces_body`), not re-implemented in the script.
 */
export function liveTexts(
  kind: Kind,
  tx: Pick<Shown, "amount_minor" | "currency" | "stage" | "type" | "details">,
): LiveTexts {
  const out = {} as LiveTexts;
  const texts = (status: TxStatus, stage: string): LiveText => {
    const plain = statusMessages(kind, { ...tx, stage, status, failure_reason: null });
    const probed = statusMessages(kind, { ...tx, stage, status, failure_reason: REASON_PROBE });
    return { ...plain, reason_replaces_body: probed.body === REASON_PROBE };
  };
  for (const status of TX_STATUSES) out[status] = texts(status, "live");
  for (const stage of LIVE_STAGES) out[`PENDING:${stage}`] = texts("PENDING", stage);
  return out;
}

export function TransactionStatusPage(props: {
  kind: Kind;
  tx: TransactionRecord | null;
  /** Shown when we cannot tell the browser anything (no or bad ticket, unknown reference). */
  unknownMessage?: string;
  watch?: { tx_ref: string; ticket: string } | null;
}) {
  const title = {
    funding: "Wallet funding",
    withdrawal: "Withdrawal",
    purchase: "Airtime and data",
  }[props.kind];
  if (!props.tx) {
    return (
      <Page title={title}>
        <h1>{title}</h1>
        <p>
          <span class="status UNKNOWN" id="status">
            UNKNOWN
          </span>
        </p>
        <p id="body">{props.unknownMessage ?? "We could not find this transaction."}</p>
        <p class="next" id="next">
          Open the app to see your wallet and its transactions.
        </p>
      </Page>
    );
  }
  const tx = props.tx;
  const text = statusMessages(props.kind, tx);
  const bought = props.kind === "purchase" ? purchaseShown(tx) : null;
  const bill = props.kind === "purchase" ? billShown(tx) : null;
  const heading =
    bill?.kind === "electricity" ? "Electricity" : bill?.kind === "tv" ? "Cable TV" : title;
  // Live updates only for the transaction the ticket names (the caller checked the ticket).
  const watch = props.watch && props.watch.tx_ref === tx.tx_ref ? props.watch : null;
  const live = watch
    ? {
        "data-tx-ref": watch.tx_ref,
        "data-ticket": watch.ticket,
        "data-ws-path": WATCH_SOCKET_PATH,
        "data-texts": JSON.stringify(liveTexts(props.kind, tx)),
      }
    : {};
  return (
    <Page title={heading}>
      <div id={WATCH_ROOT_ID} data-kind={props.kind} data-status={tx.status} {...live}>
        <h1 id="headline">{text.headline}</h1>
        <p aria-live="polite">
          <span class={`status ${tx.status}`} id="status" data-status={tx.status}>
            {tx.status}
          </span>
        </p>
        <p id="body">{text.body}</p>
        <dl>
          {bought ? (
            <>
              <dt>Network</dt>
              <dd id="network">{bought.network}</dd>
              <dt>Number</dt>
              <dd id="phone">{bought.number}</dd>
              {bought.plan ? (
                <>
                  <dt>Plan</dt>
                  <dd id="plan">{bought.plan}</dd>
                </>
              ) : null}
            </>
          ) : null}
          {bill ? <BillRows bill={bill} /> : null}
          <dt>Amount</dt>
          <dd id="amount">
            {tx.currency} {formatMinor(tx.amount_minor)}
          </dd>
          <dt>Reference</dt>
          <dd id="tx-ref">{tx.tx_ref}</dd>
        </dl>
        {bill ? <TokenSlot bill={bill} /> : null}
        <p class="next" id="next">
          {text.next}
        </p>
        <p class="live" id="live" aria-live="polite"></p>
      </div>
      {watch ? <script src={WATCH_SCRIPT_PATH} defer></script> : null}
    </Page>
  );
}
