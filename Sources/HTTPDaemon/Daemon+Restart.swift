import CrashBoard
import Logging
import NIOCore
import Observability
import RequestPipeline
import ServerConfig

/// A running server's configuration changes and its end: the in-place restart (SIGHUP,
/// SIGUSR1) and the graceful stop (SIGTERM, SIGINT, SIGWINCH).
extension Daemon {
    /// SIGHUP or SIGUSR1 (both restart in place, as gracefully: see `RestartKind`):
    /// reopen the log files (logrotate renamed them), load the configuration again, and
    /// swap it in only when valid. Requests in flight finish on the configuration they began with.
    public func reload(_ kind: RestartKind = .restart) {
        logger.notice("\(kind.logMessage)", metadata: ["id": kind.logID])
        notifier.reloading()
        // Under a supervising parent, the parent moves the generation (it also restarts
        // in ways that never reach this process).
        if supervision == nil { SharedFigures.generationMoved(resettingTotals: kind == .restart) }
        // Applied or refused, a configuration serves: the parent (crash board) or systemd hears it.
        defer {
            CrashBoard.markServing()
            notifier.ready()
        }
        // First, and whether or not the configuration loads: a rotated log must not keep
        // growing under its old name because the new configuration has a typo.
        logFiles.reopenAll()
        // fd 2 follows the reopened main error log (rotation), and the new one below.
        standardError.point(at: context.currentState.errorLog, logger: logger)
        let configuration: ServerConfiguration
        do {
            configuration = try ConfigLoader.load(options)
        } catch {
            logger.error("configuration reload failed, still serving the previous configuration: \(error.description)",
                         metadata: ["id": "IS00526"])
            return
        }
        let state: ServingState
        do {
            state = try ServingState(
                configuration: configuration, logFiles: logFiles, handlers: handlers, filterHost: filterHost,
                fileCache: fileCache)
        } catch {
            logger.error("configuration reload failed, still serving the previous configuration: \(error)",
                         metadata: ["id": "IS00526"])
            return
        }
        let old = Set(listeners.withLockedValue { Array($0.keys) })
        let wanted = Set(configuration.listeners)
        do {
            try bindListeners(configuration.listeners.filter { !old.contains($0) })
        } catch {
            logger.error("configuration reload failed: could not bind a new Listen address: \(error)",
                         metadata: ["id": "IS00072"])
            return
        }
        for address in old.subtracting(wanted) {
            listeners.withLockedValue { $0.removeValue(forKey: address) }?.close(promise: nil)
        }
        standardError.point(at: state.errorLog, logger: state.logger)  // ErrorLog may have changed
        notifyHandlers(state)
        let previous = context.currentState
        context.swap(state)
        // The old generation's idle upstream connections close (the proxy's settings may
        // have changed); those its requests still use close when they are given back.
        previous.upstreams.shutdown()
        state.logger.notice("isapid/\(ServerSoftware.version) (Linux) configured -- resuming normal operations",
                            metadata: ["id": "IS00094"])
        for warning in configuration.warnings {
            state.logger.warning("\(warning.description)", metadata: ["id": "IS00111"])
        }
    }

    /// SIGTERM/SIGINT: stop accepting, let requests in flight finish within
    /// GracefulShutdownTimeout, then close what is left.
    public func stop(signal: String = "stop") {
        stop(because: "caught \(signal), shutting down")
    }

    func stop(because reason: String, id: String = "IS00169") {
        guard !context.isShuttingDown else { return }
        ServerFigures.shared.stopping.store(true, ordering: .relaxed)
        logger.notice("\(reason)", metadata: ["id": .string(id)])
        notifier.stopping()
        context.beginShutdown()
        let servers = listeners.withLockedValue { listeners in
            defer { listeners.removeAll() }
            return Array(listeners.values)
        }
        let closed = servers.map { $0.close() }
        let connections = context.openConnections
        for channel in connections {
            channel.pipeline.fireUserInboundEventTriggered(ShutdownRequested())
        }
        let loop = group.next()
        let deadline = NIODeadline.now() + .milliseconds(Int64(context.currentState.configuration.gracefulShutdownTimeoutSeconds * 1000))
        stopDeadline.withLockedValue { $0 = deadline }
        EventLoopFuture.andAllComplete(closed, on: loop).whenComplete { [self] _ in
            waitForConnections(until: deadline, on: loop)
        }
    }

    private func waitForConnections(until deadline: NIODeadline, on loop: EventLoop) {
        let open = context.openConnections
        if open.isEmpty {
            stopped.succeed(())
            return
        }
        if NIODeadline.now() >= deadline {
            logger.warning("\(open.count) connections still open after GracefulShutdownTimeout; closing them",
                           metadata: ["id": "IS00170"])
            EventLoopFuture.andAllComplete(open.map { $0.close() }, on: loop).whenComplete { [stopped] _ in
                stopped.succeed(())
            }
            return
        }
        loop.scheduleTask(in: .milliseconds(50)) { [self] in waitForConnections(until: deadline, on: loop) }
    }
}
