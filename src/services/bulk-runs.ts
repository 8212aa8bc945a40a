/**
 * Bulk top-ups (issue 23): start a batch and buy its lines.
 *
 * Starting: every line is read and checked (src/domain/bulk.ts), then each
 * number looked up and each product priced through the catalogue, so the
 * total is known before anything is held; nothing is stored when any line is
 * wrong (422 with every line's errors). The wallet then stores the batch
 * only when its available balance (less what running batches still have to
 * buy) covers the total, or with `partial` the prefix it covers
 * (422 `batch_not_covered` otherwise).
 *
 * Buying: the wallet's alarm releases a few lines at a time as `bulk.line`
 * queue messages; for each, `runBulkLine` (the queue consumer's branch)
 * places the order as an ordinary held payment (./orders.ts) under the
 * line's derived Idempotency-Key, and reports the outcome to the wallet. The
 * route's per-user attempt limiter does not apply; the wallet's rules all do
 * (balance, the tier's day, frozen, the failure bound), and a line they
 * refuse is recorded with the problem's code and words.
 */
import {
  arrayLines,
  csvLines,
  jsonLines,
  validateLine,
  validateLines,
  type BulkLine,
  type BulkOrder,
  type LineError,
} from "../domain/bulk";
import { formatMinor } from "../domain/money";
import type { BatchView, BulkLineView } from "../durable/wallet/object";
import { AppError, errors } from "../lib/errors";
import type { AppContext } from "../lib/http";
import { newBatchId } from "../lib/ids";
import { log } from "../lib/log";
import { backgroundContext } from "./background-context";
import {
  catalogueUnavailable,
  listNetworks,
  lookupPhone,
  purchasesOrUnavailable,
} from "./catalogue";
import { placeOrder, type Order } from "./orders";

/** What a client sent: CSV text, JSON-lines text, or a JSON body's `lines`. */
export type BulkUpload =
  | { format: "csv"; text: string }
  | { format: "jsonl"; text: string }
  | { format: "json"; lines: unknown[] };

function invalid(line_errors: LineError[]): AppError {
  return new AppError({
    status: 422,
    code: "bulk_invalid",
    title: "The batch has invalid lines",
    detail: `${line_errors.length} problem(s) in the batch; nothing was bought. Each is listed with its line number.`,
    extra: { line_errors },
  });
}

/**
 * Every line read and checked: the lines whose shape is right, and the other
 * lines' errors. A file that cannot be read, or a problem of the whole file
 * (no lines, too many), is 422 at once; a line's errors go on with the rest to
 * pricing, so one answer names every line's problems, not only the first kind.
 */
export function readUpload(
  upload: BulkUpload,
  max_lines: number,
): { lines: BulkLine[]; errors: LineError[] } {
  const raw =
    upload.format === "csv"
      ? csvLines(upload.text)
      : upload.format === "jsonl"
        ? jsonLines(upload.text)
        : { ok: true as const, lines: arrayLines(upload.lines) };
  if (!raw.ok) throw invalid(raw.errors);
  const checked = validateLines(raw.lines, max_lines);
  if (checked.ok) return { lines: checked.lines, errors: [] };
  if (checked.errors.some((e) => e.line === 0)) throw invalid(checked.errors);
  const lines = raw.lines.flatMap((r) => {
    const one = validateLine(r);
    return one.ok ? [one.line] : [];
  });
  return { lines, errors: checked.errors };
}

/**
 * Each line's price, through the catalogue (a number's network, the
 * network's airtime range, a plan's price), or every line's error. Quotes of
 * the same plan are asked once.
 */
export async function priceLines(
  c: AppContext,
  lines: BulkLine[],
  earlier: readonly LineError[] = [],
): Promise<{ line: number; order: BulkOrder; price_minor: number }[]> {
  const port = purchasesOrUnavailable(c);
  const networks = lines.some((l) => l.order.kind === "airtime") ? await listNetworks(c, port) : [];
  const quotes = new Map<string, Promise<Awaited<ReturnType<typeof port.quote>>>>();
  const line_errors: LineError[] = [...earlier];
  const priced: { line: number; order: BulkOrder; price_minor: number }[] = [];
  for (const { line, order } of lines) {
    const fail = (field: string, code: string, message: string) =>
      line_errors.push({ line, field, code, message });
    const looked = lookupPhone(c, order.phone);
    if (!looked.ok) {
      fail("phone", looked.reason, looked.message);
      continue;
    }
    const network = order.network ?? looked.network;
    if (!network) {
      fail(
        "network",
        "network_required",
        "The number's prefix does not tell its network; give the network.",
      );
      continue;
    }
    if (order.kind === "airtime") {
      const bounds = networks.find((n) => n.network === network)?.airtime;
      if (
        !bounds ||
        order.amount_minor < bounds.min_minor ||
        order.amount_minor > bounds.max_minor
      ) {
        fail(
          "amount",
          "amount_out_of_range",
          bounds
            ? `${network} airtime can be bought from ${formatMinor(bounds.min_minor)} to ${formatMinor(bounds.max_minor)} naira.`
            : `${network} airtime is not sold now.`,
        );
        continue;
      }
      priced.push({ line, order, price_minor: order.amount_minor });
      continue;
    }
    const key = `${network}:${order.plan}`;
    let quote = quotes.get(key);
    if (!quote) {
      quote = port.quote({ kind: "data", network, plan_code: order.plan });
      quotes.set(key, quote);
    }
    const answer = await quote;
    if (answer.ok) priced.push({ line, order, price_minor: answer.quote.amount_minor });
    else if (answer.kind === "unavailable") throw catalogueUnavailable();
    else fail("plan", "plan_unknown", `No ${network} data plan has the code "${order.plan}".`);
  }
  if (line_errors.length > 0) throw invalid(line_errors.sort((a, b) => a.line - b.line));
  return priced;
}

/** Read, price and start a batch in the caller's wallet: the batch as it starts, or a problem. */
export async function startBulk(
  c: AppContext,
  user_id: string,
  upload: BulkUpload,
  partial: boolean,
): Promise<BatchView> {
  const read = readUpload(upload, c.var.config.BULK_LINES_MAX);
  const priced = await priceLines(c, read.lines, read.errors);
  const started = await c.env.WALLET.getByName(user_id).startBatch({
    batch_id: newBatchId(),
    partial,
    lines: priced,
  });
  switch (started.outcome) {
    case "started":
      log.info("bulk batch started", {
        user_id,
        batch_id: started.batch.batch_id,
        lines: started.batch.lines,
        queued: started.batch.counts.queued,
      });
      return started.batch;
    case "not_covered":
      throw new AppError({
        status: 422,
        code: "batch_not_covered",
        title: "The balance does not cover the batch",
        detail: partial
          ? `Not even the first line fits: the available balance is ${formatMinor(started.available_minor)} naira.`
          : `The batch costs ${formatMinor(started.total_minor)} naira and ${formatMinor(started.available_minor)} naira is available; nothing was bought. Fund the wallet, or send partial: true to buy the lines that fit, in order.`,
        extra: {
          total_minor: started.total_minor,
          available_minor: started.available_minor,
          committed_minor: started.committed_minor,
        },
      });
    case "too_many_running":
      throw new AppError({
        status: 409,
        code: "too_many_batches",
        title: "Too many batches running",
        detail: `At most ${started.limit} batches run at once; wait for one to finish.`,
        extra: { limit: started.limit },
      });
    case "no_wallet":
      throw errors.notFound("No wallet for this user.");
    case "exists":
      throw new Error("a new batch id was already taken");
  }
}

/** The order a stored line places: the same inputs the purchase routes build. */
export function orderOf(order: BulkOrder): Order {
  const network = order.network ? { network: order.network } : {};
  return order.kind === "airtime"
    ? {
        kind: "airtime",
        input: { kind: "airtime", phone: order.phone, amount: order.amount_minor, ...network },
      }
    : { kind: "data", input: { kind: "data", phone: order.phone, plan: order.plan, ...network } };
}

/** What the consumer does with a `bulk.line` message. */
export type LineVerdict = { action: "ack" | "retry"; note: string; tx_ref?: string };

/**
 * Buy one released line and report it. A conflict (the same key still in
 * flight) or a provider outage is retried by the queue; any other refusal is
 * the line's outcome. A line already reported (a re-sent message) is left
 * alone: its key would only replay the first answer anyway.
 */
export async function runBulkLine(
  env: Env,
  ctx: ExecutionContext,
  message: { request_id: string; user_id: string; batch_id: string; line: number },
): Promise<LineVerdict> {
  const stub = env.WALLET.getByName(message.user_id);
  const run = await stub.bulkLineToRun(message.batch_id, message.line);
  if (!run) return { action: "ack", note: "bulk line unknown" };
  if (run.state !== "sending") return { action: "ack", note: `bulk line already ${run.state}` };
  const c = backgroundContext(env, ctx, message.request_id);
  let report: Parameters<typeof stub.reportBulkLine>[2];
  try {
    const answer = await placeOrder(c, message.user_id, orderOf(run.order), run.idempotency_key);
    const body = answer.body as {
      tx_ref?: string;
      code?: string;
      detail?: string;
      title?: string;
    };
    const tx_ref = answer.tx_ref ?? body.tx_ref;
    report =
      answer.status === 202 && tx_ref
        ? { kind: "opened", tx_ref }
        : {
            kind: "refused",
            code: body.code ?? `http_${answer.status}`,
            reason: body.detail ?? body.title ?? "Refused.",
            ...(tx_ref ? { tx_ref } : {}),
          };
  } catch (error) {
    if (!(error instanceof AppError) || error.status >= 500 || error.status === 409) throw error;
    report = { kind: "refused", code: error.code, reason: error.detail ?? error.title };
  }
  const recorded = await stub.reportBulkLine(message.batch_id, message.line, report);
  return {
    action: "ack",
    note: `bulk line ${report.kind} (${recorded})`,
    ...(report.tx_ref ? { tx_ref: report.tx_ref } : {}),
  };
}

/** results.csv: one row per line. */
export const RESULTS_COLUMNS = [
  "line",
  "recipient",
  "product",
  "amount",
  "status",
  "tx_ref",
  "reason",
] as const;

const csvField = (value: string) => {
  // A cell a spreadsheet would read as a formula is prefixed with a quote mark (CSV injection).
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
};

export function resultsCsvRows(lines: BulkLineView[]): string {
  return lines
    .map((l) =>
      [
        String(l.line),
        l.order.phone,
        l.order.kind === "airtime"
          ? `airtime${l.order.network ? ` ${l.order.network}` : ""}`
          : `data ${l.order.plan}`,
        formatMinor(l.price_minor),
        l.status,
        l.tx_ref ?? "",
        l.reason ?? "",
      ]
        .map(csvField)
        .join(","),
    )
    .map((row) => `${row}\r\n`)
    .join("");
}
