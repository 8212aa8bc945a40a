import { describe, expect, it } from "vitest";
import { clientAddressKey } from "../../src/lib/http";

describe("clientAddressKey: the client as login throttling counts it", () => {
  const cases: [string, string][] = [
    ["203.0.113.7", "203.0.113.7"],
    ["2001:db8:85a3:0:0:8a2e:370:7334", "2001:db8:85a3:0::/64"],
    ["2001:db8:85a3::8a2e:370:7334", "2001:db8:85a3:0::/64"],
    ["2001:DB8:85A3:0000:1111:2222:3333:4444", "2001:db8:85a3:0::/64"],
    ["2001:db8::1", "2001:db8:0:0::/64"],
    ["::1", "0:0:0:0::/64"],
    ["::ffff:198.51.100.4", "198.51.100.4"],
    ["0:0:0:0:0:ffff:198.51.100.4", "198.51.100.4"],
    ["unknown", "unknown"],
    ["1:2:3::4::5", "1:2:3::4::5"],
  ];
  for (const [ip, key] of cases)
    it(`${ip} -> ${key}`, () => expect(clientAddressKey(ip)).toBe(key));

  it("puts every address of one /64 under one key, and another /64 under another", () => {
    expect(clientAddressKey("2001:db8:1:2:aaaa::1")).toBe(
      clientAddressKey("2001:db8:1:2:ffff:ffff:ffff:ffff"),
    );
    expect(clientAddressKey("2001:db8:1:3::1")).not.toBe(clientAddressKey("2001:db8:1:2::1"));
  });
});
