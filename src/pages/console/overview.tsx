/** @jsxImportSource hono/jsx */
/**
 * The console's overview: what waits for a person (escalations, overdue
 * payments, open anomalies, dead letters, provider problems), what is pending
 * by type, and the last day's settlements and failures per hour. Every
 * transaction links to its page.
 */
import { formatMinor } from "../../domain/money";
import {
  SCHEDULE_RUN_SKIPPED,
  type IndexedAnomaly,
  type IndexedTransaction,
} from "../../domain/operator";
import type { ProviderProblem } from "../../durable/operations/object";
import type { OverviewData } from "../../services/console";
import { BarChart, type Bar } from "./charts";
import { ConsolePage } from "./layout";
import { consoleTransactionPath, consoleWalletPath } from "./paths";

const at = (ms: number | null) =>
  ms === null ? "—" : new Date(ms).toISOString().replace(".000Z", "Z");
const hour = (ms: number) => `${new Date(ms).toISOString().slice(11, 13)}:00`;

function TxLink(props: { tx: { tx_ref: string } }) {
  return (
    <a href={consoleTransactionPath(props.tx.tx_ref)}>
      <code>{props.tx.tx_ref}</code>
    </a>
  );
}

function Transactions(props: {
  rows: IndexedTransaction[];
  total: number;
  when: "deadline" | "escalated";
}) {
  if (props.rows.length === 0) return <p class="empty">None.</p>;
  return (
    <table>
      <thead>
        <tr>
          <th>Transaction</th>
          <th>Type</th>
          <th>Stage</th>
          <th class="num">Amount</th>
          <th>{props.when === "deadline" ? "Expected by" : "Escalated at"}</th>
        </tr>
      </thead>
      <tbody>
        {props.rows.map((tx) => (
          <tr>
            <td>
              <TxLink tx={tx} />
            </td>
            <td>{tx.type}</td>
            <td class={tx.status}>{tx.stage}</td>
            <td class="num">
              {tx.currency} {formatMinor(tx.amount_minor)}
            </td>
            <td>{at(props.when === "deadline" ? tx.deadline_at_ms : tx.escalated_at_ms)}</td>
          </tr>
        ))}
      </tbody>
      {props.total > props.rows.length ? (
        <caption class="muted" style="caption-side:bottom;text-align:left">
          {props.rows.length} of {props.total} shown
        </caption>
      ) : null}
    </table>
  );
}

function Anomalies(props: { rows: IndexedAnomaly[] }) {
  if (props.rows.length === 0) return <p class="empty">None open.</p>;
  return (
    <table>
      <thead>
        <tr>
          <th>Transaction</th>
          <th>Kind</th>
          <th>Detail</th>
          <th>Since</th>
        </tr>
      </thead>
      <tbody>
        {props.rows.map((a) => (
          <tr>
            <td>
              {a.kind === SCHEDULE_RUN_SKIPPED ? (
                // Named by its schedule and period, not a transaction: the wallet's page shows it.
                <a href={consoleWalletPath(a.owner_user_id ?? "")}>
                  schedule <code>{a.tx_ref}</code> ({a.ref})
                </a>
              ) : (
                <TxLink tx={a} />
              )}
            </td>
            <td>{a.kind}</td>
            <td>{a.detail}</td>
            <td>{at(a.created_at_ms)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Problems(props: { rows: ProviderProblem[] }) {
  if (props.rows.length === 0) return <p class="empty">None reported.</p>;
  return (
    <table>
      <thead>
        <tr>
          <th>Provider</th>
          <th>Kind</th>
          <th>Detail</th>
          <th class="num">Count</th>
          <th>Last seen</th>
        </tr>
      </thead>
      <tbody>
        {props.rows.map((p) => (
          <tr>
            <td>{p.provider}</td>
            <td>{p.kind}</td>
            <td>{p.detail}</td>
            <td class="num">{p.count}</td>
            <td>{at(p.last_at_ms)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function OverviewPage(props: { data: OverviewData; operator: string }) {
  const o = props.data.overview;
  const pending = o.pending.reduce((sum, p) => sum + p.pending, 0);
  const settled: Bar[] = props.data.series.map((b) => ({
    label: hour(b.bucket_start_ms),
    value: b.counts.succeeded,
  }));
  const failures: Bar[] = props.data.series.map((b) => ({
    label: hour(b.bucket_start_ms),
    value: b.counts.failed + b.counts.reversed,
  }));
  return (
    <ConsolePage title="Overview" operator={props.operator}>
      <h1>Overview</h1>
      <p class="muted">
        As of {at(o.now_ms)}, from {o.index.shards} index shards
        {o.index.moving ? " (the index is still moving into its shards)" : ""}.
      </p>
      <section>
        <div class="cards">
          <div class="card">
            Pending <b data-count="pending">{pending}</b>
          </div>
          <div class="card">
            Overdue <b data-count="overdue">{o.overdue.total}</b>
          </div>
          <div class="card">
            Escalated <b data-count="escalations">{o.escalations.total}</b>
          </div>
          <div class="card">
            Open anomalies <b data-count="anomalies">{o.anomalies.total}</b>
          </div>
          <div class="card">
            Dead letters <b data-count="dead_letters">{props.data.letters.unreplayed}</b>
          </div>
          <div class="card">
            Provider problems <b data-count="provider_problems">{o.provider_problems.length}</b>
          </div>
        </div>
      </section>
      <section>
        <h2>Last 24 hours</h2>
        <div class="charts">
          <BarChart title="Settled" bars={settled} color="#2e8b57" />
          <BarChart title="Failed or reversed" bars={failures} color="#c0392b" />
        </div>
      </section>
      <section>
        <h2>Escalated</h2>
        <Transactions rows={o.escalations.data} total={o.escalations.total} when="escalated" />
      </section>
      <section>
        <h2>Overdue</h2>
        <Transactions rows={o.overdue.data} total={o.overdue.total} when="deadline" />
      </section>
      <section>
        <h2>Open anomalies</h2>
        <Anomalies rows={o.anomalies.data} />
      </section>
      <section>
        <h2>Pending by type</h2>
        {o.pending.length === 0 ? (
          <p class="empty">Nothing pending.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th>Type</th>
                <th class="num">Pending</th>
                <th class="num">Overdue</th>
                <th class="num">Escalated</th>
                <th>Oldest since</th>
              </tr>
            </thead>
            <tbody>
              {o.pending.map((p) => (
                <tr>
                  <td>{p.type}</td>
                  <td class="num">{p.pending}</td>
                  <td class="num">{p.overdue}</td>
                  <td class="num">{p.escalated}</td>
                  <td>{at(p.oldest_created_at_ms)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section>
        <h2>Provider problems</h2>
        <Problems rows={o.provider_problems} />
      </section>
      <section>
        <h2>Dead letters</h2>
        <p>
          {props.data.letters.unreplayed} waiting for a replay of {props.data.letters.stored} stored
          {props.data.letters.oldest_unreplayed_at_ms !== null
            ? `; the oldest since ${at(props.data.letters.oldest_unreplayed_at_ms)}`
            : ""}
          .
        </p>
      </section>
    </ConsolePage>
  );
}
