import Foundation
import struct ServerConfig.DirectiveTable
import struct ServerConfig.HostAddress
import struct ServerConfig.ServerConfiguration
import struct ServerConfig.VirtualHost

/// `isapid -S` and `isapid -M`: the configuration as parsed, in `httpd -S` and
/// `httpd -M`'s layout, so scripts and habits made for Apache read them.
enum ConfigDump {
    /// `httpd -S`: each address with its virtual hosts (the first is the default server
    /// for that address), then the main server's settings.
    static func virtualHosts(_ configuration: ServerConfiguration) -> String {
        var text = "VirtualHost configuration:\n"
        var groups: [(address: String, hosts: [VirtualHost])] = []
        for host in configuration.virtualHosts {
            for address in host.addresses {
                let name = Self.name(address)
                if let index = groups.firstIndex(where: { $0.address == name }) {
                    groups[index].hosts.append(host)
                } else {
                    groups.append((name, [host]))
                }
            }
        }
        for (address, hosts) in groups {
            let padded = address.padding(toLength: max(22, address.count), withPad: " ", startingAt: 0)
            guard hosts.count > 1 else {
                text += "\(padded) \(serverName(hosts[0], configuration)) (\(definition(hosts[0])))\n"
                continue
            }
            text += "\(padded) is a NameVirtualHost\n"
            text += "         default server \(serverName(hosts[0], configuration)) (\(definition(hosts[0])))\n"
            let port = address.split(separator: ":").last.map(String.init) ?? "*"
            for host in hosts {
                text += "         port \(port) namevhost \(serverName(host, configuration)) (\(definition(host)))\n"
                for alias in host.serverAliases {
                    let wild = alias.contains(where: { $0 == "*" || $0 == "?" }) ? "wild alias" : "alias"
                    text += "                 \(wild) \(alias)\n"
                }
            }
        }
        text += "ServerRoot: \"\(configuration.serverRoot)\"\n"
        text += "Main DocumentRoot: \"\(configuration.mainHost.documentRoot ?? "")\"\n"
        text += "Main ErrorLog: \"\(configuration.errorLog ?? "/dev/stderr")\"\n"
        text += "PidFile: \"\(configuration.pidFile)\"\n"
        // Apache prints no protocols; isapid names the listeners that speak TLS (mod_ssl's).
        for address in configuration.listeners where configuration.isTLS(address) {
            text += "Listen: \(address) https\n"
        }
        for (name, value) in configuration.defines.sorted(by: { $0.key < $1.key }) {
            text += "Define: \(name)" + (value.isEmpty ? "" : "=\(value)") + "\n"
        }
        // As Apache prints them after the defines, when the configuration names them.
        if let user = configuration.user { text += "User: name=\"\(user.name)\" id=\(user.uid)\n" }
        if let group = configuration.group { text += "Group: name=\"\(group.name)\" id=\(group.gid)\n" }
        return text
    }

    /// Apache's spelling of a `<VirtualHost>` address: `*:80`, `127.0.0.1:8080`, `*:*`.
    static func name(_ address: HostAddress) -> String {
        let host = address.isWildcard ? "*" : (address.host.contains(":") ? "[\(address.host)]" : address.host)
        return "\(host):" + (address.port.map(String.init) ?? "*")
    }

    /// The ServerName, else the main server's (as Apache, which inherits it).
    static func serverName(_ host: VirtualHost, _ configuration: ServerConfiguration) -> String {
        host.serverName ?? configuration.mainHost.serverName ?? "localhost"
    }

    static func definition(_ host: VirtualHost) -> String {
        host.location.map { "\($0.file):\($0.line)" } ?? "?:0"
    }

    /// `httpd -M`: every module of the directive table (`core_module`, `rewrite_module`, …),
    /// all built in; the core ones first, as Apache lists them.
    static func modules() -> String {
        let core = ["core_module", "so_module", "http_module"]
        let names = DirectiveTable.standard.modules.filter { $0.hasSuffix("_module") }
        let others = names.subtracting(core).sorted()
        return "Loaded Modules:\n" + (core.filter(names.contains) + others).map { " \($0) (static)\n" }.joined()
    }
}
