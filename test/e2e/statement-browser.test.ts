/**
 * A statement PDF as a person gets it, in a real browser (Debian's Chromium,
 * driven by playwright-core) against `wrangler dev`: the user signs up, pays
 * a funding at the Flutterwave look-alike's checkout and buys airtime from
 * the VTpass look-alike (through the TypeScript client); then the page, with
 * the user's token, fetches the statement PDF. Its first page is rendered to
 * PNG by poppler's pdftoppm and must not be blank, and its text (pdftotext)
 * must carry the closing balance the JSON statement gives, the period, and
 * the purchase.
 *
 * Chromium and poppler-utils are requirements of this suite: without them
 * this test fails, it never skips (.ci/run installs both).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inflateSync } from "node:zlib";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, fundThroughCheckout, registeredUser } from "./helpers";

const CHROMIUM = "/usr/bin/chromium";
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"];

let browser: Browser;
let dir: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `Chromium is required at ${CHROMIUM} (apt-get install -y chromium); .ci/run installs it.`,
    );
  for (const tool of ["pdftoppm", "pdftotext"])
    try {
      execFileSync(tool, ["-v"], { stdio: "ignore" });
    } catch {
      throw new Error(
        `${tool} is required (apt-get install -y poppler-utils); .ci/run installs it.`,
      );
    }
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  dir = mkdtempSync(join(tmpdir(), "statement-"));
});

afterAll(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A PNG's size and pixels (8-bit grey, grey+alpha, RGB or RGBA, not interlaced), as pdftoppm writes it. */
function decodePng(png: Buffer): {
  width: number;
  height: number;
  channels: number;
  pixels: Buffer;
} {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]));
  let offset = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const data: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString("ascii", offset + 4, offset + 8);
    const body = png.subarray(offset + 8, offset + 8 + length);
    if (type === "IHDR") {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      expect(body[8]).toBe(8); // bit depth
      expect(body[12]).toBe(0); // not interlaced
      channels = ({ 0: 1, 2: 3, 4: 2, 6: 4 } as Record<number, number>)[body[9]];
      expect(channels).toBeGreaterThan(0);
    } else if (type === "IDAT") data.push(body);
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(data));
  const stride = width * channels;
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? pixels[y * stride + x - channels] : 0;
      const b = y > 0 ? pixels[(y - 1) * stride + x] : 0;
      const c = x >= channels && y > 0 ? pixels[(y - 1) * stride + x - channels] : 0;
      const p = a + b - c;
      const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
      const predictor = [0, a, b, (a + b) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? b : c][
        filter
      ];
      pixels[y * stride + x] = (line[x] + predictor) & 0xff;
    }
  }
  return { width, height, channels, pixels };
}

/** The share of pixels that are not (near) white. */
function inkShare(image: ReturnType<typeof decodePng>): number {
  const colour = Math.min(image.channels, 3);
  let ink = 0;
  for (let i = 0; i < image.width * image.height; i++) {
    const px = image.pixels.subarray(i * image.channels, i * image.channels + colour);
    if (px.some((v) => v < 200)) ink += 1;
  }
  return ink / (image.width * image.height);
}

const grouped = (minor: number) =>
  `${Math.floor(minor / 100).toLocaleString("en-US")}.${String(minor % 100).padStart(2, "0")}`;

describe("a statement PDF in a real browser", () => {
  it("downloads in the page with the user's token, renders a first page that is not blank, and reads the closing balance", async () => {
    const { client } = await registeredUser("statement");
    await fundThroughCheckout(client, 7_500_25);
    const airtime = 100 + Math.floor(Math.random() * 900);
    const bought = await client.buyAirtime({
      phone: "08011111111",
      amount: String(airtime),
      network: "mtn",
    });
    expect(bought.status).toBe("SUCCESS");

    const today = new Date(Date.now() + 3_600_000).toISOString().slice(0, 10);
    const period = { from: today, to: today };
    const statement = await client.statement(period);
    expect(statement.closing_balance_minor).toBe(7_500_25 - airtime * 100);
    expect(statement.entries.map((e) => e.entry)).toEqual(["credit", "debit"]);

    // The browser fetches it as a page's script would, with the bearer token.
    const page = await browser.newPage();
    await page.goto(`${api}/health`);
    const fetched = await page.evaluate(
      async ({ url, token }) => {
        const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
        const bytes = new Uint8Array(await response.arrayBuffer());
        return {
          status: response.status,
          type: response.headers.get("content-type"),
          disposition: response.headers.get("content-disposition"),
          bytes: Array.from(bytes),
        };
      },
      {
        url: `${api}/wallet/statement?from=${today}&to=${today}&format=pdf`,
        token: client.token!,
      },
    );
    expect(fetched).toMatchObject({
      status: 200,
      type: "application/pdf",
      disposition: `inline; filename="statement-${today}-to-${today}.pdf"`,
    });
    const file = join(dir, "statement.pdf");
    writeFileSync(file, Buffer.from(fetched.bytes));

    execFileSync("pdftoppm", ["-png", "-r", "60", "-f", "1", "-l", "1", file, join(dir, "page")]);
    const [png] = readdirSync(dir).filter(
      (name) => name.startsWith("page") && name.endsWith(".png"),
    );
    expect(png).toBeDefined();
    const image = decodePng(readFileSync(join(dir, png)));
    // The phone-shaped page (320 pt wide) at 60 dpi.
    expect(image.width).toBe(Math.round((320 * 60) / 72));
    const share = inkShare(image);
    expect(share, `ink on the first page: ${share}`).toBeGreaterThan(0.02);
    expect(share).toBeLessThan(0.6);

    const text = execFileSync("pdftotext", ["-layout", file, "-"], { encoding: "utf8" });
    expect(text).toContain("Wallet statement");
    expect(text).toContain(`${today} to ${today}`);
    expect(text).toMatch(
      new RegExp(
        `Closing balance\\s+NGN ${grouped(statement.closing_balance_minor).replace(".", "\\.")}`,
      ),
    );
    expect(text).toContain("Airtime MTN 08011111111");
    expect(text).toContain(`-${grouped(airtime * 100)}`);
    await page.close();
  });
});
