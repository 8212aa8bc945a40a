/**
 * MongoDB wire framing for the test double: just the three opcodes a current
 * driver uses against a server that does not advertise compression.
 *
 * - OP_QUERY (2004): only the legacy handshake (`ismaster`/`hello` on
 *   `admin.$cmd`), which drivers still send first when no Stable API is set.
 * - OP_REPLY (1): the answer to that handshake.
 * - OP_MSG (2013): everything else; section kind 0 is the command body, kind 1
 *   a document sequence (`documents`, `updates`, `deletes`) that we fold into
 *   the body under its identifier, which is how the server reads it too.
 *
 * Layout references: the "MongoDB Wire Protocol" page of the server manual.
 */
import { deserialize, serialize } from "bson";

export const OP_REPLY = 1;
export const OP_QUERY = 2004;
export const OP_MSG = 2013;

const HEADER_BYTES = 16;
/** OP_MSG flag bits. */
const CHECKSUM_PRESENT = 1 << 0;
export const MORE_TO_COME = 1 << 1;
/** The largest message we accept; the same number the handshake advertises. */
export const MAX_MESSAGE_BYTES = 48_000_000;

/**
 * @typedef {import("bson").Document} Document
 * @typedef {{ op: "query"; request_id: number; collection: string; body: Document }
 *         | { op: "msg"; request_id: number; flags: number; body: Document }} Request
 */

/**
 * Pulls whole messages off the front of `buffer`. Returns the parsed requests
 * and the unread rest (a partial message waits for more bytes). Throws on a
 * frame that cannot be a MongoDB message; the caller drops that connection.
 *
 * @param {Buffer} buffer
 * @returns {{ requests: Request[]; rest: Buffer }}
 */
export function readFrames(buffer) {
  /** @type {Request[]} */
  const requests = [];
  let offset = 0;
  while (buffer.length - offset >= HEADER_BYTES) {
    const length = buffer.readInt32LE(offset);
    if (length < HEADER_BYTES || length > MAX_MESSAGE_BYTES)
      throw new Error(`bad message length ${length}`);
    if (buffer.length - offset < length) break;
    requests.push(parseMessage(buffer.subarray(offset, offset + length)));
    offset += length;
  }
  return { requests, rest: buffer.subarray(offset) };
}

/** @param {Buffer} message @returns {Request} */
function parseMessage(message) {
  const request_id = message.readInt32LE(4);
  const op_code = message.readInt32LE(12);
  if (op_code === OP_QUERY) {
    // flags(4) fullCollectionName(cstring) numberToSkip(4) numberToReturn(4) query(doc)
    const name_end = message.indexOf(0, HEADER_BYTES + 4);
    const collection = message.toString("utf8", HEADER_BYTES + 4, name_end);
    const doc_start = name_end + 1 + 8;
    return { op: "query", request_id, collection, body: readDocument(message, doc_start).doc };
  }
  if (op_code === OP_MSG) {
    const flags = message.readUInt32LE(HEADER_BYTES);
    const end = message.length - (flags & CHECKSUM_PRESENT ? 4 : 0);
    /** @type {Document | undefined} */
    let body;
    /** @type {Record<string, Document[]>} */
    const sequences = {};
    let offset = HEADER_BYTES + 4;
    while (offset < end) {
      const kind = message[offset];
      offset += 1;
      if (kind === 0) {
        const read = readDocument(message, offset);
        body = read.doc;
        offset = read.next;
      } else if (kind === 1) {
        const section_end = offset + message.readInt32LE(offset);
        const name_end = message.indexOf(0, offset + 4);
        const identifier = message.toString("utf8", offset + 4, name_end);
        const docs = [];
        let at = name_end + 1;
        while (at < section_end) {
          const read = readDocument(message, at);
          docs.push(read.doc);
          at = read.next;
        }
        sequences[identifier] = docs;
        offset = section_end;
      } else {
        throw new Error(`unknown OP_MSG section kind ${kind}`);
      }
    }
    if (!body) throw new Error("OP_MSG without a body section");
    return { op: "msg", request_id, flags, body: { ...body, ...sequences } };
  }
  throw new Error(`unsupported opcode ${op_code}`);
}

/** @param {Buffer} message @param {number} offset @returns {{ doc: Document; next: number }} */
function readDocument(message, offset) {
  const size = message.readInt32LE(offset);
  return { doc: deserialize(message.subarray(offset, offset + size)), next: offset + size };
}

let next_request_id = 1;

/** @param {number} length @param {number} response_to @param {number} op_code */
function header(length, response_to, op_code) {
  const out = Buffer.alloc(HEADER_BYTES);
  out.writeInt32LE(length, 0);
  out.writeInt32LE(next_request_id++, 4);
  out.writeInt32LE(response_to, 8);
  out.writeInt32LE(op_code, 12);
  return out;
}

/** OP_MSG answer: flags 0, one kind-0 section. @param {number} response_to @param {Document} doc */
export function encodeMsg(response_to, doc) {
  const body = serialize(doc);
  const length = HEADER_BYTES + 4 + 1 + body.length;
  const flags_and_kind = Buffer.alloc(5); // flagBits = 0, section kind = 0
  return Buffer.concat([header(length, response_to, OP_MSG), flags_and_kind, body]);
}

/** OP_REPLY answer to a legacy OP_QUERY: no cursor, one document. @param {number} response_to @param {Document} doc */
export function encodeReply(response_to, doc) {
  const body = serialize(doc);
  const fields = Buffer.alloc(20);
  fields.writeInt32LE(0, 0); // responseFlags
  fields.writeBigInt64LE(0n, 4); // cursorID
  fields.writeInt32LE(0, 12); // startingFrom
  fields.writeInt32LE(1, 16); // numberReturned
  const length = HEADER_BYTES + fields.length + body.length;
  return Buffer.concat([header(length, response_to, OP_REPLY), fields, body]);
}
