/** @jsxImportSource hono/jsx */
/**
 * The status page a browser sees for one transaction: the Flutterwave callback
 * (funding) and the withdrawal page. It says plainly what happened and what to
 * do next. It renders only what the wallet knows; the query string that
 * brought the browser here is never trusted.
 */
import { formatMinor } from "../domain/money";
import type { TransactionRecord } from "../durable/wallet";
import { Page } from "./layout";

type Kind = "funding" | "withdrawal";

export function statusMessages(kind: Kind, tx: Pick<TransactionRecord, "status" | "amount_minor" | "currency" | "failure_reason" | "stage">) {
  const amount = `${tx.currency} ${formatMinor(tx.amount_minor)}`;
  if (kind === "funding") {
    switch (tx.status) {
      case "SUCCESS":
        return { headline: "Payment received", body: `${amount} has been added to your wallet.`, next: "You can close this page and return to the app." };
      case "FAILED":
        return {
          headline: "Payment not completed",
          body: tx.failure_reason ?? "The payment did not go through.",
          next: "Nothing was added to your wallet. You can start a new funding from the app.",
        };
      case "PENDING":
        return {
          headline: tx.stage === "attempt_failed" ? "Payment attempt failed" : "Confirming your payment",
          body:
            tx.stage === "attempt_failed"
              ? `The last attempt to pay ${amount} failed. You can try again on the checkout page while it is open.`
              : `We are confirming your payment of ${amount} with Flutterwave.`,
          next: "This page updates by itself. You can also close it: your wallet is credited as soon as the payment is confirmed.",
        };
    }
  }
  switch (tx.status) {
    case "SUCCESS":
      return { headline: "Withdrawal sent", body: `${amount} has been sent to your bank account.`, next: "It usually arrives within minutes." };
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

export function TransactionStatusPage(props: {
  kind: Kind;
  tx: TransactionRecord | null;
  /** Shown when we cannot tell the browser anything (no or bad ticket, unknown reference). */
  unknownMessage?: string;
  watch?: { tx_ref: string; ticket: string } | null;
}) {
  const title = props.kind === "funding" ? "Wallet funding" : "Withdrawal";
  if (!props.tx) {
    return (
      <Page title={title}>
        <h1>{title}</h1>
        <p>
          <span class="status UNKNOWN" id="status">UNKNOWN</span>
        </p>
        <p id="body">{props.unknownMessage ?? "We could not find this transaction."}</p>
        <p class="next" id="next">Open the app to see your wallet and its transactions.</p>
      </Page>
    );
  }
  const tx = props.tx;
  const text = statusMessages(props.kind, tx);
  return (
    <Page title={title}>
      <h1 id="headline">{text.headline}</h1>
      <p>
        <span class={`status ${tx.status}`} id="status" data-status={tx.status}>
          {tx.status}
        </span>
      </p>
      <p id="body">{text.body}</p>
      <dl>
        <dt>Amount</dt>
        <dd id="amount">
          {tx.currency} {formatMinor(tx.amount_minor)}
        </dd>
        <dt>Reference</dt>
        <dd id="tx-ref">{tx.tx_ref}</dd>
      </dl>
      <p class="next" id="next">
        {text.next}
      </p>
    </Page>
  );
}
