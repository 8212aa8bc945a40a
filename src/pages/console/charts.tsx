/** @jsxImportSource hono/jsx */
/**
 * Small bar charts drawn as inline SVG (no script, no image request): one bar
 * per time bucket, its height proportional to the bucket's count against the
 * largest bucket, every bar titled with its hour and count for a hover and for
 * screen readers.
 */

export type Bar = { label: string; value: number };

const WIDTH = 480;
const HEIGHT = 120;
const AXIS = 16;

export function BarChart(props: { title: string; bars: Bar[]; color: string }) {
  const max = Math.max(1, ...props.bars.map((b) => b.value));
  const step = WIDTH / Math.max(1, props.bars.length);
  const total = props.bars.reduce((sum, b) => sum + b.value, 0);
  return (
    <figure style="margin:0">
      <figcaption>
        {props.title}: <b>{total}</b>
        <span class="muted"> (max {max === 1 && total === 0 ? 0 : max} per hour)</span>
      </figcaption>
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT + AXIS}`}
        width="100%"
        role="img"
        aria-label={`${props.title}, last ${props.bars.length} hours`}
      >
        <line x1="0" y1={HEIGHT} x2={WIDTH} y2={HEIGHT} stroke="#c9d0d8" />
        {props.bars.map((bar, i) => {
          const h = Math.round((bar.value / max) * (HEIGHT - 4));
          return (
            <rect
              x={(i * step + 1).toFixed(1)}
              y={HEIGHT - h}
              width={Math.max(1, step - 2).toFixed(1)}
              height={h}
              fill={props.color}
              data-value={bar.value}
            >
              <title>{`${bar.label}: ${bar.value}`}</title>
            </rect>
          );
        })}
        {props.bars.map((bar, i) =>
          i % 6 === 0 ? (
            <text x={(i * step + 1).toFixed(1)} y={HEIGHT + AXIS - 3} font-size="10" fill="#5a6472">
              {bar.label}
            </text>
          ) : null,
        )}
      </svg>
    </figure>
  );
}
