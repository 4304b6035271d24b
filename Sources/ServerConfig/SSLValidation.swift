/// The checks of mod_ssl's settings that need the whole configuration: which listeners
/// speak TLS, and whether every host that may answer on one can. Run once the
/// configuration is compiled; file contents (certificates, keys, cipher strings) are
/// checked later by the TLS contexts.
///
/// A listener speaks TLS when its `Listen` says `https` (or port 443 without a protocol),
/// and also when a `<VirtualHost>` with `SSLEngine on` answers on it: Apache decides TLS
/// by the virtual host (mod_ssl speaks TLS on `Listen 8443` for an SSL virtual host), and
/// isapid does the same rather than refuse such a configuration.
enum SSLValidation {
    static func apply(_ server: inout ServerConfiguration) throws(ConfigError) {
        for address in server.listeners where !server.isTLS(address) {
            if hosts(answeringOn: address, in: server).contains(where: { $0.ssl.isEnabled }) {
                server.listenProtocols[address] = .https
            }
        }
        for address in server.listeners where server.isTLS(address) {
            for host in hosts(answeringOn: address, in: server) where !host.ssl.isEnabled {
                let place = host.location ?? server.listenLocations[address]
                    ?? SourceLocation(file: server.configFile, line: 0)
                let name = host.id == 0 ? "the main server" : "<VirtualHost> \(host.serverName ?? "")"
                throw ConfigError(
                    file: place.file, line: place.line, kind: .badArguments,
                    message: "\(name) answers on the TLS listener \(address) but has no SSLEngine on "
                        + "(and SSLCertificateFile)")
            }
        }
        for host in server.allHosts where host.ssl.isEnabled {
            try check(host.ssl, server: server)
        }
    }

    /// The hosts that may answer a connection to this listener: the virtual hosts whose
    /// address matches it, else the main server.
    static func hosts(answeringOn address: ListenAddress, in server: ServerConfiguration) -> [VirtualHost] {
        let matching = server.virtualHosts.filter { host in
            host.addresses.contains { hostAddress in
                let portMatches = hostAddress.port == nil || hostAddress.port == address.port
                let ipMatches = hostAddress.isWildcard || address.host == nil
                    || IPAddress(hostAddress.host).map { $0 == IPAddress(address.host ?? "") } == true
                return portMatches && ipMatches
            }
        }
        return matching.isEmpty ? [server.mainHost] : matching
    }

    private static func check(_ ssl: SSLSettings, server: ServerConfiguration) throws(ConfigError) {
        let engine = ssl.engine?.location ?? SourceLocation(file: server.configFile, line: 0)
        guard ssl.certificateFile != nil else {
            throw ConfigError(file: engine.file, line: engine.line, kind: .badArguments,
                              message: "SSLEngine on: no SSLCertificateFile for this host (the server certificate "
                                + "is required)")
        }
        if let verify = ssl.verifyClient, verify.value == .require || verify.value == .optional,
           ssl.caCertificateFile == nil {
            throw ConfigError(file: verify.location.file, line: verify.location.line, kind: .badArguments,
                              message: "SSLVerifyClient \(verify.value.rawValue): no SSLCACertificateFile to verify "
                                + "client certificates against")
        }
    }
}
