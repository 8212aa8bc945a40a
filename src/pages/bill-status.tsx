/** @jsxImportSource hono/jsx */
/**
 * What a bill's status page shows (src/pages/transaction-status.tsx): what was
 * paid for (the DisCo and meter, or the TV service, smartcard and bouquet) in
 * the words its buyer would use, and the token slot: a prepaid meter's token
 * (a Showmax voucher) large and copyable, grouped for reading, with its units.
 * The slot is rendered on every bill's page, hidden until a token is known, so
 * a token that arrives later in a status frame fills it (watch.js) without a
 * reload. Everything shown is text: JSX escapes it, watch.js sets textContent.
 */
import { DISCOS, TV_PROVIDERS } from "../domain/bills";
import type { TransactionRecord } from "../durable/wallet/object";
import { TOKEN_IDS, groupToken } from "./watch-script";

type Bill = Pick<TransactionRecord, "details"> & Partial<Pick<TransactionRecord, "type">>;

export type BillShown = {
  kind: "electricity" | "tv";
  /** The DisCo's or TV service's name. */
  service: string;
  /** "Meter", "Smartcard" or (Showmax) "Phone". */
  account_label: string;
  account: string;
  /** Electricity: "prepaid" / "postpaid"; TV: the bouquet's name (and months when more than one). */
  product: string | null;
  customer_name: string | null;
  token: string | null;
  units: string | null;
};

function text(details: TransactionRecord["details"], key: string): string | null {
  const value = details[key];
  return typeof value === "string" && value !== "" ? value : null;
}

/** What a bill paid for, or null for anything that is not a bill or whose details do not say. */
export function billShown(tx: Bill): BillShown | null {
  if (tx.type !== "ELECTRICITY" && tx.type !== "TV") return null;
  const service_id = text(tx.details, "service_id");
  const account = text(tx.details, "billers_code");
  if (!service_id || !account) return null;
  const common = {
    account,
    customer_name: text(tx.details, "customer_name"),
    token: text(tx.details, "token"),
    units: text(tx.details, "units"),
  };
  if (tx.type === "ELECTRICITY") {
    const type = text(tx.details, "meter_type");
    return {
      ...common,
      kind: "electricity",
      service: DISCOS.find((d) => d.service_id === service_id)?.name ?? service_id,
      account_label: "Meter",
      product: type,
    };
  }
  const months = typeof tx.details.quantity === "number" ? tx.details.quantity : 1;
  const plan = text(tx.details, "plan_name") ?? text(tx.details, "plan_code");
  return {
    ...common,
    kind: "tv",
    service: TV_PROVIDERS.find((p) => p.service_id === service_id)?.name ?? service_id,
    account_label: service_id === "showmax" ? "Phone" : "Smartcard",
    product: plan && months > 1 ? `${plan}, ${months} months` : plan,
  };
}

/** "NGN 2000.00 of prepaid electricity from Ikeja Electric (IKEDC) for meter 1111111111111", or a TV subscription's. */
export function billWords(bill: BillShown, amount: string): string {
  if (bill.kind === "electricity")
    return `${amount} of ${bill.product ? `${bill.product} ` : ""}electricity from ${bill.service} for meter ${bill.account}`;
  const what = bill.product ? `${bill.service} (${bill.product})` : bill.service;
  return `${amount} of ${what} for ${bill.account_label.toLowerCase()} ${bill.account}`;
}

/** The next step once a bill is delivered: a prepaid token goes into the meter. */
export function billDeliveredNext(bill: BillShown): string {
  if (bill.kind === "electricity" && bill.product === "prepaid")
    return "Enter the token on your meter's keypad. It is also in your transaction history.";
  if (bill.kind === "electricity")
    return "The DisCo may take a little while to show the payment on your account.";
  return "The service may take a few minutes to show it; keep the decoder on.";
}

/** The rows of the page's details list for a bill. */
export function BillRows(props: { bill: BillShown }) {
  const { bill } = props;
  return (
    <>
      <dt>{bill.kind === "electricity" ? "DisCo" : "Service"}</dt>
      <dd id="service">{bill.service}</dd>
      <dt>{bill.account_label}</dt>
      <dd id="account">{bill.account}</dd>
      {bill.product ? (
        <>
          <dt>{bill.kind === "electricity" ? "Meter type" : "Bouquet"}</dt>
          <dd id="product">{bill.product}</dd>
        </>
      ) : null}
      {bill.customer_name ? (
        <>
          <dt>Customer</dt>
          <dd id="customer">{bill.customer_name}</dd>
        </>
      ) : null}
    </>
  );
}

/**
 * The token slot. The copy button starts hidden and watch.js shows it (no
 * script, no dead button); the token itself is selectable as one piece, so it
 * can always be copied by hand.
 */
export function TokenSlot(props: { bill: BillShown }) {
  const { bill } = props;
  const label = bill.kind === "tv" ? "Voucher" : "Token";
  return (
    <section id={TOKEN_IDS.box} class="token" hidden={bill.token === null}>
      <h2>{label}</h2>
      <p class="token-value" id={TOKEN_IDS.token} data-token={bill.token ?? ""}>
        {bill.token === null ? "" : groupToken(bill.token)}
      </p>
      <p class="token-units" id={TOKEN_IDS.units} hidden={bill.units === null}>
        {bill.units ?? ""}
      </p>
      <button type="button" id={TOKEN_IDS.copy} hidden>
        Copy {label.toLowerCase()}
      </button>
      <p class="live" id={TOKEN_IDS.copied} aria-live="polite"></p>
    </section>
  );
}
