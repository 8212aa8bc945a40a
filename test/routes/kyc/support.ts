/**
 * What the KYC route tests share: a fresh wallet with a bearer token, the
 * look-alike's test numbers and person, and a request for each kind.
 */
import { runInDurableObject } from "cloudflare:test";
import {
  OTHER_PERSON,
  TEST_NUMBERS,
  TEST_PERSON,
  TEST_PERSON_PREFIXES,
} from "../../../src/sandbox/identity/people";
import { apiInProcess, bearerFor, json, newWallet } from "../../support/helpers";

export { OTHER_PERSON, TEST_NUMBERS, TEST_PERSON };

export type Claimed = {
  number: string;
  first_name: string;
  middle_name?: string;
  last_name: string;
  date_of_birth: string;
};

/**
 * A fresh number of the test person (one number backs one user, and the
 * objects' storage lives for the whole file).
 */
export function freshNumber(kind: "bvn" | "nin"): string {
  const digits = Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b % 10).join("");
  return `${TEST_PERSON_PREFIXES[kind]}${digits}`;
}

export async function kycUser() {
  const wallet = await newWallet();
  const auth = await bearerFor(wallet.user_id);
  return { ...wallet, auth };
}

/** The test person, with this number. */
export function asTestPerson(number: string, change: Partial<Claimed> = {}): Claimed {
  return {
    number,
    first_name: TEST_PERSON.first_name,
    middle_name: TEST_PERSON.middle_name,
    last_name: TEST_PERSON.last_name,
    date_of_birth: TEST_PERSON.date_of_birth,
    ...change,
  };
}

export function verify(
  auth: Record<string, string>,
  kind: "bvn" | "nin",
  body: Claimed,
): Promise<Response> {
  return apiInProcess(`/kyc/${kind}`, json(body, auth));
}

export function kycStatus(auth: Record<string, string>): Promise<Response> {
  return apiInProcess("/kyc", { headers: auth });
}

/** Every row of every table of an object's SQLite storage, as one JSON text. */
export async function storedText(stub: DurableObjectStub): Promise<string> {
  return runInDurableObject(stub, (_instance, state) => {
    const tables = state.storage.sql
      .exec<{ name: string }>(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '_cf%' AND name NOT LIKE 'sqlite%'",
      )
      .toArray()
      .map((row) => row.name);
    const dump: Record<string, unknown[]> = {};
    for (const table of tables) {
      dump[table] = state.storage.sql.exec(`SELECT * FROM "${table}"`).toArray();
    }
    return JSON.stringify(dump);
  });
}
