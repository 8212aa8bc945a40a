/** @jsxImportSource hono/jsx */
/**
 * The confirmation step: what a form will do, in words and field by field,
 * with the same values in hidden fields, a fresh CSRF token and a Confirm
 * button that posts to the act itself. Rendering it changes nothing.
 */
import { ConsolePage } from "./layout";
import { type ConsoleActName, consoleActPath, CSRF_FIELD } from "./paths";

export function ConfirmPage(props: {
  operator: string;
  user_id: string;
  act: ConsoleActName;
  /** What will happen, in a sentence. */
  summary: string;
  /** The form's values as posted (validated), re-sent by the Confirm button. */
  fields: Record<string, string>;
  csrf: string;
  back: string;
}) {
  return (
    <ConsolePage title="Confirm" operator={props.operator}>
      <h1>Confirm: {props.act}</h1>
      <section>
        <p data-field="summary">{props.summary}</p>
        <dl style="display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem">
          {Object.entries(props.fields).map(([name, value]) => (
            <>
              <dt>{name}</dt>
              <dd data-field={name}>{value}</dd>
            </>
          ))}
        </dl>
        <form
          method="post"
          action={consoleActPath(props.user_id, props.act)}
          data-confirm={props.act}
        >
          <input type="hidden" name={CSRF_FIELD} value={props.csrf} />
          {Object.entries(props.fields).map(([name, value]) => (
            <input type="hidden" name={name} value={value} />
          ))}
          <button type="submit">Confirm</button> <a href={props.back}>Cancel</a>
        </form>
      </section>
    </ConsolePage>
  );
}
