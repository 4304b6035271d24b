/// `TraceEnable On|Off|extended` (Apache core): whether TRACE requests are answered.
/// Apache's default is On.
public enum TraceEnable: Sendable, Equatable {
    /// The request line and header fields are echoed; a request with a body gets 413.
    case on
    /// 405 Method Not Allowed.
    case off
    /// As On, and a request body is accepted and echoed after the header fields.
    case extended
}
