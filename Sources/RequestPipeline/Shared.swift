/// An immutable value behind one reference.
///
/// A `RequestContext` is copied several times per request (out of the pipeline, into the
/// connection's exchange), and each copy of a struct copies every string and array it
/// holds: a `VirtualHost` or a `DirectoryConfig` inline made each copy cost ~2k
/// instructions and ~90 reference-count operations. Held as `Shared`, a copy is one
/// retain, and the pipeline keeps one `Shared` per virtual host and per cached directory
/// configuration, so selecting them costs no allocation either.
public final class Shared<Value: Sendable>: Sendable {
    public let value: Value

    public init(_ value: Value) {
        self.value = value
    }
}
