/** @jsxImportSource hono/jsx */
/**
 * Shared page shell for the server-rendered pages (callback, withdrawal status).
 * Styles are inline (allowed by the page CSP); scripts are served from our own
 * origin only.
 */
import type { Child } from "hono/jsx";

export const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const STYLE = `
  :root { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #1c2430; background: #f4f6f8; }
  main { max-width: 34rem; margin: 3rem auto; background: #fff; border-radius: 12px; padding: 2rem; box-shadow: 0 1px 4px rgba(0,0,0,.08); }
  h1 { font-size: 1.4rem; margin: 0 0 .5rem; }
  .status { display: inline-block; padding: .2rem .7rem; border-radius: 999px; font-weight: 600; font-size: .9rem; }
  .PENDING { background: #fff4d6; color: #7a5300; }
  .SUCCESS { background: #dcf5e3; color: #13612d; }
  .FAILED { background: #fde2e1; color: #8c1d18; }
  .UNKNOWN { background: #e8ebef; color: #3a4452; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: .4rem 1rem; }
  dt { color: #5a6472; } dd { margin: 0; font-variant-numeric: tabular-nums; word-break: break-all; }
  .next { margin-top: 1.5rem; padding-top: 1rem; border-top: 1px solid #e8ebef; }
  .live { color: #5a6472; font-size: .85rem; min-height: 1.2em; }
  .token { margin-top: 1.2rem; padding: 1rem; border: 2px solid #13612d; border-radius: 10px; background: #f3fbf5; }
  .token h2 { font-size: 1rem; margin: 0 0 .4rem; color: #13612d; }
  .token-value { font-size: 1.7rem; font-weight: 700; letter-spacing: .04em; font-variant-numeric: tabular-nums; margin: 0; word-break: break-word; user-select: all; -webkit-user-select: all; }
  .token-units { margin: .3rem 0 0; color: #3a4452; }
  .token button { margin-top: .7rem; font: inherit; padding: .4rem 1rem; border-radius: 8px; border: 1px solid #13612d; background: #fff; color: #13612d; cursor: pointer; }
  [hidden] { display: none !important; }
`;

export function Page(props: { title: string; children: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{props.title}</title>
        <style>{STYLE}</style>
      </head>
      <body>
        <main>{props.children}</main>
      </body>
    </html>
  );
}
