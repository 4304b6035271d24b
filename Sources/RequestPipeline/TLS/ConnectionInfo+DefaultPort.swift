extension ConnectionInfo {
    /// The port a URL of this connection's scheme leaves out: 443 on TLS, else 80
    /// (self-referential redirects, mod_rewrite's completed substitutions, the proxy's
    /// client-facing Location).
    public var defaultPort: Int { tls == nil ? 80 : 443 }
}
