/** @jsxImportSource hono/jsx */
/**
 * The approvals queue: pending proposals across wallets, newest first, each
 * with what it does, who proposed it, when it expires, links to its wallet and
 * transaction, and approve/reject forms for operators (the Wallet refuses
 * anyone but an approver other than the proposer, and the page says why).
 */
import type { IndexedProposal } from "../../durable/operations/acts-index";
import { ConsolePage } from "./layout";
import { ActForm, at, Banner, describeProposal, type DoneFlag } from "./parts";
import { consoleTransactionPath, consoleWalletPath } from "./paths";

export function ApprovalsPage(props: {
  proposals: IndexedProposal[];
  operator: string;
  csrf: string | null;
  done?: DoneFlag;
}) {
  const csrf = props.csrf;
  return (
    <ConsolePage title="Approvals" operator={props.operator}>
      <h1>Approvals</h1>
      <Banner done={props.done} />
      <section>
        {props.proposals.length === 0 ? (
          <p class="empty">No proposal waits for approval.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th>What</th>
                <th>Proposed by</th>
                <th>Expires</th>
                <th>Wallet</th>
                <th>Decide</th>
              </tr>
            </thead>
            <tbody>
              {props.proposals.map((p) => (
                <tr data-proposal={p.id}>
                  <td>
                    {describeProposal(p)}
                    {p.tx_ref ? (
                      <>
                        {" "}
                        <a href={consoleTransactionPath(p.tx_ref)}>transaction</a>
                      </>
                    ) : null}
                  </td>
                  <td>
                    {p.proposed_by}
                    <br />
                    <span class="muted">{at(p.created_at_ms)}</span>
                  </td>
                  <td>{at(p.expires_at_ms)}</td>
                  <td>
                    <a href={consoleWalletPath(p.owner_user_id)}>
                      <code>{p.owner_user_id}</code>
                    </a>
                  </td>
                  <td>
                    {csrf ? (
                      <>
                        <ActForm
                          user_id={p.owner_user_id}
                          act="approve"
                          csrf={csrf}
                          label="Approve…"
                        >
                          <input type="hidden" name="proposal_id" value={p.id} />
                          <input name="reason" placeholder="Reason (optional)" />
                        </ActForm>
                        <ActForm user_id={p.owner_user_id} act="reject" csrf={csrf} label="Reject…">
                          <input type="hidden" name="proposal_id" value={p.id} />
                          <input name="reason" placeholder="Reason (optional)" />
                        </ActForm>
                      </>
                    ) : (
                      <span class="muted">Approvers decide.</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </ConsolePage>
  );
}
