/** @jsxImportSource hono/jsx */
/**
 * The console's transaction page: the transaction as it is now, every version
 * the wallet's change feed still holds (its history for FEED_RETAIN_MS after
 * delivery; the page says when earlier versions were pruned), the provider
 * events the wallet processed for it, and its anomalies. Details are shown as
 * stored; nothing secret is ever stored in them (tokens and keys never enter
 * a transaction).
 */
import { formatMinor } from "../../domain/money";
import type { TransactionPageData } from "../../services/console";
import { ConsolePage } from "./layout";
import { ActForm, at, AuditTable, Banner, type DoneFlag, ProposalsTable } from "./parts";
import { consoleWalletPath } from "./paths";

export function TransactionPage(props: {
  data: TransactionPageData;
  operator: string;
  /** The form token when the viewer may act (operator or approver); null for a viewer. */
  csrf: string | null;
  done?: DoneFlag;
}) {
  const { tx, history, user_id, proposals, audit, decidable } = props.data;
  const csrf = props.csrf;
  const first = history.versions[0]?.version ?? tx.version;
  return (
    <ConsolePage title={tx.tx_ref} operator={props.operator}>
      <h1>
        {tx.type} <code>{tx.tx_ref}</code>
      </h1>
      <Banner done={props.done} />
      <section>
        <dl style="display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem;margin:0">
          <dt>Status</dt>
          <dd class={tx.status} data-field="status">
            {tx.status} ({tx.stage})
          </dd>
          <dt>Amount</dt>
          <dd>
            {tx.currency} {formatMinor(tx.amount_minor)}
            {tx.fee_minor > 0 ? ` + fee ${formatMinor(tx.fee_minor)}` : ""}
          </dd>
          <dt>Wallet</dt>
          <dd>
            <a href={consoleWalletPath(user_id)}>
              <code>{user_id}</code>
            </a>
          </dd>
          <dt>Version</dt>
          <dd data-field="version">{tx.version}</dd>
          <dt>Provider reference</dt>
          <dd>
            <code>{tx.provider_ref ?? "—"}</code>
          </dd>
          <dt>Created</dt>
          <dd>{at(tx.created_at_ms)}</dd>
          <dt>Deadline</dt>
          <dd>{at(tx.deadline_at_ms)}</dd>
          <dt>Escalated</dt>
          <dd data-field="escalated">{at(tx.escalated_at_ms)}</dd>
          <dt>Next check</dt>
          <dd>
            {at(tx.next_check_at_ms)} ({tx.check_attempts} checks so far)
          </dd>
          {tx.failure_reason ? (
            <>
              <dt>Failure</dt>
              <dd>{tx.failure_reason}</dd>
            </>
          ) : null}
        </dl>
      </section>
      <section>
        <h2>Versions</h2>
        {first > 1 ? (
          <p class="muted">Versions before {first} were pruned from the wallet's history.</p>
        ) : null}
        <table>
          <thead>
            <tr>
              <th class="num">Version</th>
              <th>Stage</th>
              <th>Status</th>
              <th>At</th>
              <th>Failure</th>
            </tr>
          </thead>
          <tbody>
            {history.versions.map((v) => (
              <tr data-version={v.version}>
                <td class="num">{v.version}</td>
                <td>{v.stage}</td>
                <td class={v.status}>{v.status}</td>
                <td>{at(v.updated_at_ms)}</td>
                <td>{v.failure_reason ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section>
        <h2>Provider events</h2>
        {history.events.length === 0 ? (
          <p class="empty">No provider event was processed for this transaction.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th>Event</th>
                <th>What it did</th>
                <th>At</th>
              </tr>
            </thead>
            <tbody>
              {history.events.map((e) => (
                <tr>
                  <td>
                    <code>{e.event_key}</code>
                  </td>
                  <td>{e.outcome}</td>
                  <td>{at(e.processed_at_ms)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section>
        <h2>Anomalies</h2>
        {history.anomalies.length === 0 ? (
          <p class="empty">None.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th>Kind</th>
                <th>Charge</th>
                <th>Detail</th>
                <th>At</th>
              </tr>
            </thead>
            <tbody>
              {history.anomalies.map((a) => (
                <tr>
                  <td>{a.kind}</td>
                  <td>
                    <code>{a.ref || "—"}</code>
                  </td>
                  <td>{a.detail}</td>
                  <td>{at(a.created_at_ms)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {decidable && csrf ? (
        <section>
          <h2>Decide</h2>
          <p class="muted">
            The provider has not answered in time. Decide from the provider's own records: post (it
            paid) or void (it did not; the hold is released). A second operator approves.
          </p>
          <ActForm user_id={user_id} act="decide" csrf={csrf} label="Propose decision…">
            <input type="hidden" name="tx_ref" value={tx.tx_ref} />
            <label>
              Decision{" "}
              <select name="decision">
                <option value="void">void (release the hold)</option>
                <option value="post">post (the provider paid)</option>
              </select>
            </label>
            <label>
              Evidence <input name="evidence" required />
            </label>
            <label>
              Provider reference (optional) <input name="reference" />
            </label>
          </ActForm>
        </section>
      ) : null}
      <section>
        <h2>Proposals</h2>
        <ProposalsTable proposals={proposals} />
      </section>
      <section>
        <h2>Audit entries</h2>
        <AuditTable entries={audit} />
      </section>
      <section>
        <h2>Details</h2>
        <pre>{JSON.stringify(tx.details, null, 2)}</pre>
      </section>
    </ConsolePage>
  );
}
