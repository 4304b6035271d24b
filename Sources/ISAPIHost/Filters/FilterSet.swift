import Logging

/// The filters one list runs, in IIS's order, and the notifications any of them wants:
/// a notification none wants costs the caller one bit test (`wants`).
public struct FilterList: Sendable {
    public let filters: [FilterLibrary]
    /// The union of the filters' notification bits.
    public let interest: UInt32

    public init(_ filters: [FilterLibrary]) {
        self.filters = filters
        self.interest = filters.reduce(0) { $0 | $1.notifications }
    }

    public static let empty = FilterList([])

    @inline(__always) public func wants(_ notification: FilterNotification) -> Bool {
        interest & notification.flag != 0
    }

    /// IIS's order within one list (global, or a site's): by the priority each filter
    /// asked for, then as configured. `sorted` alone is not stable, hence the index.
    static func ordered(_ filters: [FilterLibrary]) -> [FilterLibrary] {
        filters.enumerated().sorted { a, b in
            a.element.priority != b.element.priority ? a.element.priority < b.element.priority : a.offset < b.offset
        }.map(\.element)
    }
}

/// The filters of one configuration generation: each file loaded once (they are always
/// cached, as IIS caches them), in the serving child. A reload builds the next set from
/// this one: a filter it still lists is kept as it is (no TerminateFilter, no new
/// GetFilterVersion, its per-connection contexts intact); one it no longer lists is
/// unloaded (`retire`), after the notifications inside it return.
public final class FilterSet: Sendable {
    /// An `ISAPIFilter` line: the file and where it was configured (for the log).
    public struct Entry: Sendable, Equatable {
        public let path: String
        public let location: String
        public init(path: String, location: String) {
            self.path = path
            self.location = location
        }
    }

    /// The global list.
    public let global: FilterList
    /// Per virtual host id: the global filters, then the site's (each part in IIS's order).
    private let bySite: [Int: FilterList]
    /// Every site's list together: the notifications some request may raise.
    public let interest: UInt32
    /// The loaded filters by path.
    let libraries: [String: FilterLibrary]

    /// Loads every distinct path once (reusing those `previous` had loaded); a filter that
    /// fails to load (or refuses in GetFilterVersion) is logged with its path and
    /// configuration line, and left out: the server serves without it, as IIS does.
    public init(global: [Entry], sites: [Int: [Entry]], previous: FilterSet? = nil, logger: Logger) {
        var loaded: [String: FilterLibrary] = [:]
        var failed: Set<String> = []
        func library(_ entry: Entry) -> FilterLibrary? {
            if let library = loaded[entry.path] { return library }
            if let library = previous?.libraries[entry.path] {
                loaded[entry.path] = library
                return library
            }
            if failed.contains(entry.path) { return nil }
            switch Self.load(entry) {
            case .success(let library):
                loaded[entry.path] = library
                Self.logLoad(library, logger: logger)
                return library
            case .failure(let error):
                failed.insert(entry.path)
                logger.error("\(entry.location): \(error.description); serving without it", metadata: ["id": "IS02301"])
                return nil
            }
        }
        let globalFilters = FilterList.ordered(global.compactMap(library))
        var bySite: [Int: FilterList] = [:]
        for (id, entries) in sites.sorted(by: { $0.key < $1.key }) where !entries.isEmpty {
            bySite[id] = FilterList(globalFilters + FilterList.ordered(entries.compactMap(library)))
        }
        self.global = FilterList(globalFilters)
        self.bySite = bySite
        self.interest = bySite.values.reduce(self.global.interest) { $0 | $1.interest }
        self.libraries = loaded
    }

    /// Loads one filter (what `isapid -t` does too, then unloads it).
    public static func load(_ entry: Entry) -> Result<FilterLibrary, ModuleLoadError> {
        Result { () throws(ModuleLoadError) in try FilterLibrary.load(path: entry.path) }
    }

    /// The filters a request to the virtual host `siteID` runs.
    public func list(forSite siteID: Int) -> FilterList { bySite[siteID] ?? global }

    /// Whether no filter is loaded.
    public var isEmpty: Bool { libraries.isEmpty }

    /// Unloads (TerminateFilter) the filters `next` does not keep; all of them when `next`
    /// is nil (the server stops). Waits for notifications inside them.
    public func retire(keeping next: FilterSet?, logger: Logger) {
        for (path, library) in libraries.sorted(by: { $0.key < $1.key }) where next?.libraries[path] !== library {
            library.unload()
            logger.info("unloaded ISAPI filter \(path)", metadata: ["id": "IS02302"])
        }
    }

    private static func logLoad(_ library: FilterLibrary, logger: Logger) {
        let description = LogText.quoted(library.descriptionBytes)
        let notifications = library.notificationNames.joined(separator: ", ")
        logger.info(
            "loaded ISAPI filter \(library.path): \(description) version \(library.versionText), priority \(library.priority.name), notifications \(notifications.isEmpty ? "none" : notifications)",
            metadata: LogText.metadata(id: "IS02300"))
        // The extensions' diagnostic: a DllMain the build hid is never called.
        if library.dllMainPresence == .hidden {
            logger.warning("\(ISAPIModule.hiddenDllMainWarning(library.path))", metadata: ["id": "IS02041"])
        }
    }
}
