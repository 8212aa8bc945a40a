/** @jsxImportSource hono/jsx */
/**
 * The operator console's page shell: server-rendered, no script (the pages'
 * CSP allows none inline, and none is needed: forms post, a confirmation is
 * its own page), styles inline, charts as inline SVG.
 */
import type { Child } from "hono/jsx";
import { previousLagosDay } from "../../domain/reconciliation";
import { CONSOLE_APPROVALS_PATH, CONSOLE_PATH, consoleReconciliationPath } from "./paths";

const STYLE = `
  :root { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #1c2430; background: #f4f6f8; }
  body { margin: 0; }
  header { background: #1c2430; color: #fff; padding: .6rem 1.5rem; display: flex; gap: 1.5rem; align-items: baseline; }
  header a { color: #cfe0ff; text-decoration: none; } header .who { margin-left: auto; color: #aab4c2; font-size: .85rem; }
  main { max-width: 72rem; margin: 1.5rem auto; padding: 0 1.5rem; }
  section { background: #fff; border-radius: 10px; padding: 1rem 1.25rem; margin-bottom: 1rem; box-shadow: 0 1px 3px rgba(0,0,0,.07); }
  h1 { font-size: 1.3rem; } h2 { font-size: 1.05rem; margin: 0 0 .6rem; }
  table { border-collapse: collapse; width: 100%; font-size: .88rem; }
  th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #eef0f3; vertical-align: top; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  .muted { color: #5a6472; } .empty { color: #5a6472; font-style: italic; }
  .PENDING { color: #7a5300; } .SUCCESS { color: #13612d; } .FAILED { color: #8c1d18; }
  .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(9rem, 1fr)); gap: .75rem; }
  .card { background: #f7f9fb; border-radius: 8px; padding: .6rem .8rem; }
  .card b { display: block; font-size: 1.4rem; font-variant-numeric: tabular-nums; }
  .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(20rem, 1fr)); gap: 1rem; }
  code { font-size: .85em; word-break: break-all; }
  .banner { background: #dcf5e3; color: #13612d; padding: .6rem 1rem; border-radius: 8px; }
  .refusal h1 { color: #8c1d18; }
  form { display: flex; flex-direction: column; gap: .4rem; margin: .3rem 0; }
  label { display: flex; flex-direction: column; font-size: .85rem; gap: .15rem; }
  pre { background: #f7f9fb; padding: .5rem; overflow-x: auto; font-size: .8rem; }
`;

export function ConsolePage(props: { title: string; operator: string; children: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex" />
        {/* The Worker answers Referrer-Policy: no-referrer, under which a browser posts a form with
            Origin: null; the console's forms must say where they come from (src/lib/csrf.ts), and
            only to ourselves. */}
        <meta name="referrer" content="same-origin" />
        <title>{`${props.title} · Wallet operations`}</title>
        <style>{STYLE}</style>
      </head>
      <body>
        <header>
          <strong>Wallet operations</strong>
          <a href={CONSOLE_PATH}>Overview</a>
          <a href={CONSOLE_APPROVALS_PATH}>Approvals</a>
          {/* The day the nightly run reconciles; each day's page links to the one before and after. */}
          <a href={consoleReconciliationPath(previousLagosDay(Date.now()))}>Reconciliation</a>
          <span class="who">{props.operator}</span>
        </header>
        <main>{props.children}</main>
      </body>
    </html>
  );
}
