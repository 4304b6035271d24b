extension AccessLogFormat {
    /// mod_log_config's `parse_log_string`, `parse_log_item` and `parse_log_misc_string`.
    struct Parser {
        let bytes: [UInt8]
        var index = 0
        /// What the parsed directives refer to by index.
        var arguments = Arguments()

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        mutating func parse() throws(AccessLogFormatError) -> [Item] {
            var items: [Item] = []
            while index < bytes.count {
                // Text next to text (`%%` in a literal) is joined when the format is compiled.
                items.append(bytes[index] == UInt8(ascii: "%") ? try directive() : literal())
            }
            return items
        }

        /// Text up to the next `%`, with `\\`, `\r`, `\n`, `\t` unescaped; any other
        /// backslash is kept.
        mutating func literal() -> Item {
            var text: [UInt8] = []
            while index < bytes.count, bytes[index] != UInt8(ascii: "%") {
                let byte = bytes[index]
                index += 1
                guard byte == UInt8(ascii: "\\") else {
                    text.append(byte)
                    continue
                }
                let next: UInt8? = index < bytes.count ? bytes[index] : nil
                switch next {
                case UInt8(ascii: "\\"): text.append(UInt8(ascii: "\\")); index += 1
                case UInt8(ascii: "r"): text.append(0x0d); index += 1
                case UInt8(ascii: "n"): text.append(0x0a); index += 1
                case UInt8(ascii: "t"): text.append(0x09); index += 1
                default: text.append(UInt8(ascii: "\\"))
                }
            }
            return Item(directive: .literal(arguments.add(text: text)))
        }

        mutating func directive() throws(AccessLogFormatError) -> Item {
            index += 1  // the '%'
            if index < bytes.count, bytes[index] == UInt8(ascii: "%") {
                index += 1
                return Item(directive: .literal(arguments.add(text: [UInt8(ascii: "%")])))
            }
            var item = Item(directive: .absent)
            let firstCondition = arguments.statuses.count
            var wantOriginal: Bool?
            var argument: [UInt8] = []
            while index < bytes.count {
                let byte = bytes[index]
                switch byte {
                case UInt8(ascii: "!"):
                    index += 1
                    item.negated.toggle()
                case UInt8(ascii: "<"):
                    index += 1
                    wantOriginal = true
                case UInt8(ascii: ">"):
                    index += 1
                    wantOriginal = false
                case UInt8(ascii: ","):
                    index += 1
                case UInt8(ascii: "{"):
                    // ap_getword(.., '}'): up to the first '}', then past every '}' there.
                    index += 1
                    let start = index
                    while index < bytes.count, bytes[index] != UInt8(ascii: "}") { index += 1 }
                    argument = Array(bytes[start..<index])
                    while index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1 }
                case UInt8(ascii: "0")...UInt8(ascii: "9"):
                    var value = 0
                    while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
                        value = min(value &* 10 &+ Int(bytes[index] - UInt8(ascii: "0")), Int(Int32.max))
                        index += 1
                    }
                    arguments.statuses.append(value)
                    item.conditions = firstCondition..<arguments.statuses.count
                default:
                    if byte == UInt8(ascii: "^"), index + 2 < bytes.count,
                       let directive = Self.caretDirective(bytes[index + 1], bytes[index + 2]) {
                        index += 3
                        item.directive = directive
                        return item
                    }
                    guard let directive = Self.directive(byte, argument: argument, wantOriginal: wantOriginal,
                                                         arguments: &arguments) else {
                        throw AccessLogFormatError(message: "Unrecognized LogFormat directive %\(characterName(at: index))")
                    }
                    index += 1
                    item.directive = directive
                    return item
                }
            }
            throw AccessLogFormatError(message: "Ran off end of LogFormat parsing args to some directive")
        }

        /// The character at `index` for an error message (the whole UTF-8 sequence).
        func characterName(at index: Int) -> String {
            var end = index + 1
            while end < bytes.count, bytes[end] & 0xC0 == 0x80 { end += 1 }
            return String(decoding: bytes[index..<end], as: UTF8.self)
        }

        static func caretDirective(_ first: UInt8, _ second: UInt8) -> Directive? {
            switch (first, second) {
            case (UInt8(ascii: "t"), UInt8(ascii: "i")), (UInt8(ascii: "t"), UInt8(ascii: "o")): return .absent
            case (UInt8(ascii: "F"), UInt8(ascii: "B")): return .timeToFirstByte
            default: return nil
            }
        }

        static func directive(_ letter: UInt8, argument: [UInt8], wantOriginal: Bool?,
                              arguments: inout Arguments) -> Directive? {
            switch letter {
            case UInt8(ascii: "h"): return argument.elementsEqual("c".utf8) ? .peerHost : .remoteHost
            case UInt8(ascii: "a"): return argument.elementsEqual("c".utf8) ? .peerAddress : .remoteAddress
            case UInt8(ascii: "A"): return .localAddress
            case UInt8(ascii: "l"): return .remoteLogname
            case UInt8(ascii: "u"): return .remoteUser
            case UInt8(ascii: "t"): return .time(TimeSpec(argument: argument, arguments: &arguments))
            case UInt8(ascii: "f"): return .filename
            case UInt8(ascii: "b"): return .bodyBytesCLF
            case UInt8(ascii: "B"): return .bodyBytes
            case UInt8(ascii: "i"): return .requestHeader(arguments.add(headerName: argument.map(LogLineWriter.lowercase)))
            case UInt8(ascii: "o"): return .responseHeader(arguments.add(headerName: argument.map(LogLineWriter.lowercase)))
            case UInt8(ascii: "C"): return .cookie(arguments.add(headerName: argument.map(LogLineWriter.lowercase)))
            case UInt8(ascii: "n"): return .note(arguments.add(name: String(decoding: argument, as: UTF8.self)))
            case UInt8(ascii: "e"): return .environment(arguments.add(name: String(decoding: argument, as: UTF8.self)))
            case UInt8(ascii: "L"): return .logID(connection: argument.elementsEqual("c".utf8))
            case UInt8(ascii: "V"): return .requestServerName
            case UInt8(ascii: "v"): return .virtualHost
            case UInt8(ascii: "p"):
                switch lowercased(argument) {
                case "", "canonical": return .port(.canonical)
                case "local": return .port(.local)
                case "remote": return .port(.remote)
                default: return .literal(arguments.add(text: argument))  // Apache prints a bogus argument itself
                }
            case UInt8(ascii: "P"):
                switch lowercased(argument) {
                case "", "pid": return .process(.pid)
                case "tid": return .process(.tid)
                case "hextid": return .process(.hexTid)
                default: return .literal(arguments.add(text: argument))
                }
            case UInt8(ascii: "H"): return .requestProtocol
            case UInt8(ascii: "m"): return .method
            case UInt8(ascii: "q"): return .query
            case UInt8(ascii: "X"): return .connectionStatus
            case UInt8(ascii: "k"): return .keepAliveCount
            case UInt8(ascii: "r"): return .requestLine
            case UInt8(ascii: "D"): return .duration(.microseconds)
            case UInt8(ascii: "T"):
                switch lowercased(argument) {
                case "", "s": return .duration(.seconds)
                case "ms": return .duration(.milliseconds)
                case "us": return .duration(.microseconds)
                default: return .literal(arguments.add(text: argument))
                }
            case UInt8(ascii: "U"): return .urlPath
            case UInt8(ascii: "s"): return .status(original: wantOriginal ?? true)
            case UInt8(ascii: "R"): return .handler
            case UInt8(ascii: "I"): return .ioBytes(.received)
            case UInt8(ascii: "O"): return .ioBytes(.sent)
            case UInt8(ascii: "S"): return .ioBytes(.combined)
            // mod_ssl's: %{VAR}x any of its variables, %{version|cipher|…}c its old names.
            case UInt8(ascii: "x"): return .sslVariable(arguments.add(name: String(decoding: argument, as: UTF8.self)))
            case UInt8(ascii: "c"): return sslCompatDirective(lowercased(argument), arguments: &arguments)
            default: return nil
            }
        }

        /// mod_ssl's `ssl_var_log_handler_c`: the SSLLog-era names, printed only on TLS.
        static func sslCompatDirective(_ name: String, arguments: inout Arguments) -> Directive {
            switch name {
            case "version": return .sslConnectionVariable(arguments.add(name: "SSL_PROTOCOL"))
            case "cipher": return .sslConnectionVariable(arguments.add(name: "SSL_CIPHER"))
            case "subjectdn", "clientcert": return .sslConnectionVariable(arguments.add(name: "SSL_CLIENT_S_DN"))
            case "issuerdn", "cacert": return .sslConnectionVariable(arguments.add(name: "SSL_CLIENT_I_DN"))
            default: return .absent  // errcode is always "-"; errstr isapid does not keep
            }
        }

        static func lowercased(_ bytes: [UInt8]) -> String {
            String(decoding: bytes.map(LogLineWriter.lowercase), as: UTF8.self)
        }
    }
}
