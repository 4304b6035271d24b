import NIOCore

extension SocketAddress {
    /// The address as text and its port, as a request's variables (`REMOTE_ADDR`,
    /// `LOCAL_ADDR`) and the logs show them; "-" and 0 where there are none (a Unix socket).
    ///
    /// Every connection needs both of its ends: an IPv4 address is formatted here in a few
    /// dozen instructions, where NIO's `ipAddress` goes through `inet_ntop` and `sprintf`
    /// (~3,000 instructions a call, issue 14 item 7). IPv6 keeps NIO's formatting (its
    /// zero-run compression is `inet_ntop`'s to get right).
    var textAndPort: (String, Int) {
        guard case .v4(let address) = self else { return (ipAddress ?? "-", port ?? 0) }
        return (Self.dottedQuad(UInt32(bigEndian: address.address.sin_addr.s_addr)), port ?? 0)
    }

    /// `a.b.c.d` for an address in host byte order (`a` in the top byte).
    static func dottedQuad(_ address: UInt32) -> String {
        String(unsafeUninitializedCapacity: 15) { buffer in
            var count = 0
            for shift in stride(from: UInt32(24), through: 0, by: -8) {
                let octet = UInt8(truncatingIfNeeded: address >> shift)
                if shift != 24 {
                    buffer[count] = UInt8(ascii: ".")
                    count += 1
                }
                if octet >= 100 {
                    buffer[count] = UInt8(ascii: "0") + octet / 100
                    count += 1
                }
                if octet >= 10 {
                    buffer[count] = UInt8(ascii: "0") + octet / 10 % 10
                    count += 1
                }
                buffer[count] = UInt8(ascii: "0") + octet % 10
                count += 1
            }
            return count
        }
    }
}
