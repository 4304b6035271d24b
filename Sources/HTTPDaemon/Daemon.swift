import CrashBoard
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import Observability
import RequestPipeline
import ServerConfig

/// The running server: listeners, event loops, signals, reload and graceful stop.
public final class Daemon: Sendable {
    let options: ConfigLoadOptions
    let logFiles = LogFiles()
    /// fd 2 onto the ErrorLog once start-up is past its terminal-worthy failures.
    let standardError = StandardErrorRedirect()
    let group: MultiThreadedEventLoopGroup
    let context: DaemonContext
    let listeners = NIOLockedValueBox<[ListenAddress: Channel]>([:])
    let stopped: EventLoopPromise<Void>
    let handlers: [String: any RequestHandler]
    /// The ISAPI filters (issue 17): told of each configuration and of the end of serving
    /// beside the handlers, but no handler itself.
    let filterHost = ISAPIFilterHost()
    private let threadPool: ExtensionPool
    /// Set when a supervising parent started this process: listeners to take over, the
    /// crash board, the parent-watch pipe.
    let supervision: Supervision?
    private let inheritedListeners: NIOLockedValueBox<[ListenAddress: Int32]>
    /// systemd's notifications: `-X` under systemd; a serving child never has `$NOTIFY_SOCKET`.
    let notifier = SystemdNotifier.fromEnvironment()
    /// The `-X` process's PidFile (a supervised child's parent writes its own; nil in tests).
    private let pidFile: PidFile?
    /// When a graceful stop must be over: set when it begins (GracefulShutdownTimeout later).
    let stopDeadline = NIOLockedValueBox<NIODeadline?>(nil)
    /// The open-file and stat cache, kept across reloads; its watcher thread starts with serving.
    let fileCache = FileCache()

    /// Opens the logs of a loaded configuration; binds nothing yet.
    public init(options: ConfigLoadOptions, configuration: ServerConfiguration,
                handlers: [String: any RequestHandler] = [:], supervision: Supervision? = nil,
                pidFile: PidFile? = nil) throws {
        self.options = options
        self.pidFile = pidFile
        // server-status and metrics are built in, as mod_status is in Apache's usual builds.
        self.handlers = handlers.merging(
            [ServerStatusHandler.name: ServerStatusHandler(), MetricsHandler.name: MetricsHandler()]) { given, _ in given }
        self.supervision = supervision
        // Without a supervising parent (-X, tests) this process keeps the figures itself.
        if supervision == nil { SharedFigures.start() }
        inheritedListeners = NIOLockedValueBox(supervision?.listeners ?? [:])
        Self.blockHandledSignals()
        let state = try ServingState(
            configuration: configuration, logFiles: logFiles, handlers: self.handlers, filterHost: filterHost,
            fileCache: fileCache, iniFilesFirstRead: .whenAsked)
        // ThreadsPerChild is read once: a reload that changes it takes effect at the next start.
        threadPool = ExtensionPool(numberOfThreads: configuration.threadsPerChild)
        context = DaemonContext(state: state, threadPool: threadPool)
        group = MultiThreadedEventLoopGroup(numberOfThreads: UsableCores.count)
        stopped = group.next().makePromise(of: Void.self)
    }

    var logger: Logger { context.currentState.logger }

    /// What start-up would find wrong beyond the configuration's own syntax (log
    /// formats), without opening anything: for `isapid -t`.
    public static func validate(_ configuration: ServerConfiguration) throws(ConfigError) {
        for host in configuration.allHosts {
            for spec in host.customLogs { _ = try ServingState.compile(spec) }
        }
        // The certificates, keys and cipher strings, as serving would read them.
        _ = try TLSContexts(configuration: configuration)
    }

    /// Binds the listeners, serves until SIGTERM/SIGINT, and returns after a graceful stop.
    public func run() throws {
        let configuration = context.currentState.configuration
        for warning in configuration.warnings {
            logger.warning("\(warning.description)", metadata: ["id": "IS00111"])
        }
        guard !configuration.listeners.isEmpty else {
            logger.critical("no listening sockets available, shutting down", metadata: ["id": "IS00015"])
            abandonStart()
            throw DaemonError("no listening sockets available (add a Listen directive)")
        }
        // The pool and the handlers are ready before the first connection is accepted:
        // a request right after "listening on" must not find them unconfigured.
        if let supervision {
            do {
                try CrashBoard.attach(descriptor: supervision.crashBoard)
            } catch {
                abandonStart()
                throw error
            }
            watchParent(supervision.parentWatch)
        }
        do {
            try dropPrivileges(configuration)
        } catch {
            logger.critical("\(error)", metadata: ["id": "IS00564"])
            abandonStart()
            throw error
        }
        // As User: a change is re-read by User, and httpd.parse.errors must be User's to rewrite.
        context.currentState.pipeline.readIniFiles()
        // From here on, what extensions write to stderr goes to the error log (before
        // notifyHandlers: an ISAPICacheFile extension's start-up messages as well).
        standardError.point(at: context.currentState.errorLog, logger: logger)
        threadPool.start()
        startFileWatcher()
        notifyHandlers(context.currentState)
        do {
            try bindListeners(configuration.listeners)
        } catch {
            logger.critical("could not bind: \(error)", metadata: ["id": "IS00072"])
            abandonServing()
            throw DaemonError("could not bind to address: \(error)")
        }
        do {
            try pidFile?.write(logger: logger)
        } catch {
            abandonServing()  // closes the listeners with the event loops
            throw error
        }
        closeUnusedInheritedListeners()
        startSignalThread()
        CrashBoard.markServing()
        notifier.ready()
        logger.notice("isapid/\(ServerSoftware.version) (Linux) configured -- resuming normal operations", metadata: ["id": "IS00094"])
        try stopped.futureResult.wait()
        pidFile?.remove()
        // The pool first: an extension call that ends now still finds its event loop.
        let poolStopped = shutDownThreadPool()
        try group.syncShutdownGracefully()
        if poolStopped {
            uniqueHandlers.forEach { $0.shutdown() }
            filterHost.shutdown()
        } else {
            // Unloading an extension a thread is still inside would crash the process:
            // the process exits with the call unfinished instead, as Apache's child would be killed.
            logger.warning("extension calls still running after GracefulShutdownTimeout; exiting without waiting for them",
                           metadata: ["id": "IS00171"])
        }
        fileCache.stop()
        logFiles.flushAll()
    }

    /// `User`/`Group` (see `PrivilegeDrop`), before any extension is loaded or connection
    /// accepted. `-X` first opens its listening sockets and writes its PidFile, as root.
    private func dropPrivileges(_ configuration: ServerConfiguration) throws {
        switch try PrivilegeDrop.plan(for: configuration) {
        case .keepIdentity: return
        case .notRoot: logger.info("not started as root: User and Group are ignored", metadata: ["id": "IS00561"])
        case .switchTo(let identity):
            if supervision == nil {
                for address in configuration.listeners where inheritedListeners.withLockedValue({ $0[address] }) == nil {
                    let socket = try ListenerSocket.open(address, configuration)
                    inheritedListeners.withLockedValue { $0[address] = socket }
                }
                try pidFile?.write(logger: logger)
            }
            PrivilegeDrop.handOverLogFiles(of: configuration, to: identity, logger: logger)
            try PrivilegeDrop.switchIdentity(to: identity)
            logger.notice("serving as \(identity.description)", metadata: ["id": "IS00562"])
        }
    }

    /// Waits for the pool's threads (extension calls) until the graceful stop's deadline,
    /// and half a second at least; false when some are still busy then.
    private func shutDownThreadPool() -> Bool {
        let deadline = max(stopDeadline.withLockedValue { $0 } ?? .now(), .now() + .milliseconds(500))
        return threadPool.shutDown(deadline: deadline)
    }

    /// A start-up that fails once the pool and the handlers have started: the command
    /// line says why, on the terminal; everything started is stopped.
    private func abandonServing() {
        standardError.pointBackAtTerminal()
        abandonStart()
        try? group.syncShutdownGracefully()
        threadPool.shutDown(deadline: .distantFuture)
        uniqueHandlers.forEach { $0.shutdown() }
        filterHost.shutdown()
    }

    /// A start-up that fails: its log lines are written before the process exits, and
    /// the stop promise is fulfilled (one left unfulfilled traps in a debug build).
    private func abandonStart() {
        logFiles.flushAll()
        stopped.succeed(())
    }

    /// The addresses actually bound (port 0 resolved), for tests and the start-up line.
    public var boundAddresses: [SocketAddress] {
        listeners.withLockedValue { $0.values.compactMap(\.localAddress) }
    }

    func bindListeners(_ addresses: [ListenAddress]) throws {
        for address in addresses {
            // A socket the supervising parent holds is taken over (once); others are opened here.
            let inherited = inheritedListeners.withLockedValue { $0.removeValue(forKey: address) }
            let bootstrap = Self.makeBootstrap(for: address, group: group, daemon: context)
            let channel = try inherited.map { try bootstrap.withBoundSocket($0).wait() }
                ?? bootstrap.bind(host: address.host ?? "0.0.0.0", port: address.port).wait()
            // NIO listens again on a socket it takes over, with its default backlog of 128:
            // set ListenBacklog once more (listen on a listening socket only resizes it).
            if let inherited { _ = listen(inherited, Int32(clamping: context.currentState.configuration.listenBacklog)) }
            listeners.withLockedValue { $0[address] = channel }
            if let bound = channel.localAddress {
                let scheme = context.currentState.configuration.isTLS(address) ? "https" : "http"
                FileHandle.standardOutput.write(Data("isapid: listening on \(scheme)://\(Self.display(bound))/\n".utf8))
            }
        }
    }

    /// The listener of `address` and how it sets up each connection it accepts.
    static func makeBootstrap(for address: ListenAddress, group: EventLoopGroup, daemon context: DaemonContext)
        -> ServerBootstrap {
        let configuration = context.currentState.configuration
        let listenBacklog = configuration.listenBacklog
        // AcceptFilter (Apache's Linux default `data`): the kernel hands a connection over
        // only once its first bytes came, so a connection is never set up to wait.
        let deferAccept = configuration.defersAccept(address) ? ListenerSocket.deferAcceptSeconds : 0
        return ServerBootstrap(group: group)
            .serverChannelOption(.tcpOption(.init(rawValue: TCP_DEFER_ACCEPT)), value: ChannelOptions.Types.SocketOption.Value(deferAccept))
            .serverChannelOption(.backlog, value: Int32(clamping: listenBacklog))
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            // On the listener, once: Linux hands TCP_NODELAY on to every socket it accepts
            // (NIO sets it there too). IPPROTO_TCP: at SOL_SOCKET, 1 is SO_DEBUG (root only).
            .serverChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            // NIO accepts 4 connections per wake-up by default: in a burst of new clients
            // the last ones wait, their first request already sent, while the loop serves
            // all the others again and again (seconds at a thousand clients). One wake-up
            // takes as many as the accept queue holds (ListenBacklog, at least 64), as
            // nginx accepts before it serves: with 10,000 clients connecting at once, the
            // queue is emptied before their retried handshakes come back (after 1 s), not
            // 64 at a time between rounds of serving thousands of requests.
            .serverChannelOption(.maxMessagesPerRead, value: UInt(clamping: max(64, listenBacklog)))
            // No child channel options: the bootstrap applies those one by one through
            // futures, ~20,000 instructions a connection (issue 14 item 7); the
            // initializer sets what a connection needs synchronously instead.
            .childChannelInitializer { channel in
                let state = context.currentState
                guard context.register(channel, limit: state.configuration.maxConnections) else {
                    return channel.close()
                }
                do {
                    try Self.setUpConnection(channel, address: address, state: state, daemon: context)
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
    }

    /// The read buffers of a connection: from 1 KiB, adapting between 64 B and 64 KiB.
    static let readBuffers = AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 1024, maximum: 65536)

    /// A new connection's options and handlers, set synchronously on its event loop (no
    /// future per step).
    private static func setUpConnection(_ channel: Channel, address: ListenAddress, state: ServingState,
                                daemon: DaemonContext) throws {
        // Accepted while a graceful stop is closing the listeners: its client has sent (or
        // is sending) a request, which is answered like those of the connections already
        // open, with `Connection: close`.
        let acceptedWhileStopping = daemon.isShuttingDown
        // Up to 16 reads per readable event (NIO's default is 4): a client sending a large body.
        try channel.syncOptions?.setOption(.maxMessagesPerRead, value: 16)
        // Reads start at 1 KiB, as nginx's client_header_buffer_size (NIO's default is
        // 2 KiB): a request head usually fits, the allocator grows after a read that fills
        // it, and every idle kept-alive connection holds its read buffer (1 MiB less at
        // 1,000 connections).
        try channel.syncOptions?.setOption(.recvAllocator, value: Self.readBuffers)
        // The PROXY header comes first on the wire, before a TLS ClientHello.
        let pipeline = channel.pipeline.syncOperations
        if let handler = ProxyProtocolHandler.ifRequired(on: channel, state: state) {
            try pipeline.addHandler(handler)
        }
        let secure = state.configuration.isTLS(address)
        if secure {
            try state.tls.addHandlers(to: channel, configuration: state.configuration, logger: state.logger)
        }
        try addConnectionHandlers(to: pipeline, state: state, daemon: daemon, secure: secure)
        if acceptedWhileStopping { pipeline.fireUserInboundEventTriggered(ShutdownRequested()) }
    }

    /// Each handler object once, though it may serve several names (isapi-handler, isapi-isa).
    private var uniqueHandlers: [any RequestHandler] {
        var seen = Set<ObjectIdentifier>()
        return handlers.values.filter { seen.insert(ObjectIdentifier($0 as AnyObject)).inserted }
    }

    /// Tells the handlers a configuration is about to serve, with its error log.
    func notifyHandlers(_ state: ServingState) {
        let configuration = state.configuration
        let errorLog = state.errorLog
        let moduleLogger = { (module: String) in
            Logger.errorLog(module, writer: errorLog, levels: configuration.logLevel)
        }
        for handler in uniqueHandlers {
            handler.configurationLoaded(configuration, logger: moduleLogger)
        }
        filterHost.configurationLoaded(configuration, logger: moduleLogger)
    }

    /// The handlers of one client connection, in order.
    static func addConnectionHandlers(
        to pipeline: ChannelPipeline.SynchronousOperations, state: ServingState, daemon: DaemonContext,
        secure: Bool = false
    ) throws {
        // ISAPI filters (when configured): the connection's session, and READ_RAW_DATA
        // in front of the decoder when a global filter asked for it.
        let filters = state.pipeline.makeFilterSession(secure: secure)
        if let filters, state.pipeline.filtersWantRawReads {
            try pipeline.addHandler(FilterRawReadHandler(session: filters, pipeline: state.pipeline))
        }
        let connection = HTTPConnectionHandler(daemon: daemon, filterSession: filters)
        try pipeline.addHandlers(
            RawReadObserver(telling: connection),
            ByteToMessageHandler(HTTPRequestDecoder(limits: state.limits)),
            connection)
    }

    private static func display(_ address: SocketAddress) -> String {
        let ip = address.ipAddress ?? "?"
        let host = address.protocol == .inet6 ? "[\(ip)]" : ip
        return "\(host):\(address.port ?? 0)"
    }

    // MARK: Signals

    /// The signals the daemon acts on. They are blocked in every thread (the mask is set
    /// before any thread is created, and threads inherit it) and taken by one thread with
    /// `sigwaitinfo`, so none is lost to a thread that happens to receive it.
    static var handledSignals: sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        for number in [SIGHUP, SIGUSR1, SIGTERM, SIGINT, SIGWINCH] { sigaddset(&set, number) }
        return set
    }

    /// Call first thing in `main`, before any thread exists (Dispatch starts some lazily).
    public static func blockHandledSignals() {
        var set = handledSignals
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Inherited sockets the configuration does not listen on (it changed between the
    /// parent's reading and ours): closed in this process; the parent keeps its copy.
    private func closeUnusedInheritedListeners() {
        let unused = inheritedListeners.withLockedValue { listeners in
            defer { listeners.removeAll() }
            return Array(listeners.values)
        }
        unused.forEach { _ = close($0) }
    }

    /// The parent holds the write end of this pipe: end of file means it is gone
    /// (killed without a chance to stop us), and this process stops too.
    private func watchParent(_ descriptor: Int32) {
        let thread = Thread { [self] in
            var byte: UInt8 = 0
            while read(descriptor, &byte, 1) < 0 && errno == EINTR {}
            stop(because: "the supervising parent is gone, shutting down")
        }
        thread.name = "isapid-parent-watch"
        thread.start()
    }

    private func startSignalThread() {
        let thread = Thread { [self] in
            var set = Self.handledSignals
            while true {
                var info = siginfo_t()
                let number = sigwaitinfo(&set, &info)
                guard number > 0 else { continue }
                switch ControlSignal(number: number, info: info) {
                case .restart(let kind): reload(kind)
                case .gracefulStop: stop(because: "caught SIGWINCH, shutting down gracefully", id: "IS00492")
                case .stop(let name): stop(signal: name)
                case .terminalResize: logger.info("\(ControlSignal.terminalResizeMessage)", metadata: ["id": "IS00495"])
                case .ignored: break
                }
            }
        }
        thread.name = "isapid-signals"
        thread.start()
    }
}

public struct DaemonError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
