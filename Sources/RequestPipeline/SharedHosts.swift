import ServerConfig

/// A loaded configuration's virtual hosts, each with its default per-directory
/// configuration, as `Shared` values made once when the pipeline is built: selecting the
/// host of a request then costs two retains instead of copying a VirtualHost and its
/// DirectoryConfig (~1.5k instructions each time).
struct SharedHosts: Sendable {
    /// One host and the per-directory configuration a request starts with there.
    struct Entry: Sendable {
        let host: Shared<VirtualHost>
        let defaults: Shared<DirectoryConfig>

        init(_ host: VirtualHost) {
            self.host = Shared(host)
            self.defaults = Shared(host.defaults)
        }
    }

    /// The main server's.
    let main: Entry
    /// By index into `ServerConfiguration.virtualHosts`.
    private let virtual: [Entry]

    init(_ configuration: ServerConfiguration) {
        main = Entry(configuration.mainHost)
        virtual = configuration.virtualHosts.map(Entry.init)
    }

    /// The entry for `ServerConfiguration.virtualHostIndex`'s answer (nil: the main server).
    subscript(index: Int?) -> Entry {
        index.map { virtual[$0] } ?? main
    }
}

extension RequestContext {
    /// Serves the request from `entry`'s host, starting from its defaults per directory.
    mutating func select(_ entry: SharedHosts.Entry) {
        sharedHost = entry.host
        sharedDirectoryConfig = entry.defaults
    }
}
