/** @jsxImportSource hono/jsx */
/**
 * The console's page for one reconciled day: the counts, then every item
 * that is not a match (ours only, theirs only, mismatched, with each field's
 * two values), each with a link to the transaction's page when it is ours.
 */
import { formatMinor } from "../../domain/money";
import { isPastLagosDay } from "../../domain/reconciliation";
import { DAY_MS } from "../../domain/tiers";
import type { StoredItem, ReconRun } from "../../durable/reconciliations/object";
import { ConsolePage } from "./layout";
import { at } from "./parts";
import { consoleReconciliationPath, consoleTransactionPath } from "./paths";

const money = (minor: number | null | undefined, currency: string | undefined) =>
  minor === null || minor === undefined ? "—" : `${currency ?? ""} ${formatMinor(minor)}`;

/** The calendar day `days` after `day` (YYYY-MM-DD, already validated by the route). */
const dayAfter = (day: string, days: number) =>
  new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);

export function ReconciliationPage(props: {
  day: string;
  run: ReconRun | null;
  items: StoredItem[];
  has_more: boolean;
  operator: string;
}) {
  const { run, items } = props;
  return (
    <ConsolePage title={`Reconciliation ${props.day}`} operator={props.operator}>
      <h1>Reconciliation of {props.day} (Lagos)</h1>
      <p>
        <a data-link="previous" href={consoleReconciliationPath(dayAfter(props.day, -1))}>
          ← {dayAfter(props.day, -1)}
        </a>
        {/* Only ended days can be reconciled: no link past yesterday. */}
        {isPastLagosDay(dayAfter(props.day, 1), Date.now()) ? (
          <>
            {" · "}
            <a data-link="next" href={consoleReconciliationPath(dayAfter(props.day, 1))}>
              {dayAfter(props.day, 1)} →
            </a>
          </>
        ) : null}
      </p>
      {run === null ? (
        <p data-field="never">This day has not been reconciled.</p>
      ) : (
        <section>
          <p>
            Run {run.runs} at {at(run.ran_at_ms)} by {run.operator ?? run.trigger}:{" "}
            <span data-field="matched">{run.counts.matched}</span> matched,{" "}
            <span data-field="ours_only">{run.counts.ours_only}</span> ours only,{" "}
            <span data-field="theirs_only">{run.counts.theirs_only}</span> theirs only,{" "}
            <span data-field="mismatched">{run.counts.mismatched}</span> mismatched.
          </p>
          <table>
            <thead>
              <tr>
                <th>Result</th>
                <th>Source</th>
                <th>Reference</th>
                <th>Ours</th>
                <th>Theirs</th>
                <th>Differences</th>
              </tr>
            </thead>
            <tbody>
              {items.map((item) => (
                <tr data-result={item.result}>
                  <td>{item.result}</td>
                  <td>{item.source}</td>
                  <td>
                    {item.ours ? (
                      <a href={consoleTransactionPath(item.ours.tx_ref)}>
                        <code>{item.ours.tx_ref}</code>
                      </a>
                    ) : (
                      <code>{item.reference ?? "—"}</code>
                    )}
                  </td>
                  <td>
                    {item.ours
                      ? `${item.ours.status} ${money(item.ours.amount_minor, item.ours.currency)}`
                      : "—"}
                  </td>
                  <td>
                    {item.theirs
                      ? `${item.theirs.outcome} ${money(item.theirs.amount_minor, item.theirs.currency)} (${item.theirs.provider_id})`
                      : "—"}
                  </td>
                  <td>
                    {item.diffs
                      .map((d) => `${d.field}: ${d.ours ?? "—"} ≠ ${d.theirs ?? "—"}`)
                      .join("; ")}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {props.has_more ? <p>More items: see the API's next page.</p> : null}
        </section>
      )}
    </ConsolePage>
  );
}
