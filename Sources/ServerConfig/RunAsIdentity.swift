import Glibc

/// mod_unixd's `User`: who the serving process runs as when isapid is started as root.
/// `User name` is looked up in the password database when the configuration is read
/// (an unknown name is a configuration error, as in Apache); `User #uid` is taken as is.
public struct RunAsUser: Sendable, Equatable {
    /// As written (`nobody`, `#65534`), for log lines.
    public let name: String
    public let uid: uid_t
    /// The user's group in the password database: the group when `Group` is not given.
    public let primaryGroup: gid_t?

    public init(name: String, uid: uid_t, primaryGroup: gid_t?) {
        self.name = name
        self.uid = uid
        self.primaryGroup = primaryGroup
    }

    /// Resolves Apache's `User` argument; the message is the one-line reason for a ConfigError.
    public static func resolve(_ argument: String) -> Result<RunAsUser, IdentityLookupError> {
        if argument.hasPrefix("#") {
            guard let uid = uid_t(argument.dropFirst()) else {
                return .failure(IdentityLookupError("bad user id \(argument): # must be followed by a number"))
            }
            return .success(RunAsUser(name: argument, uid: uid, primaryGroup: lookUpUser(uid: uid)?.gid))
        }
        guard let entry = lookUpUser(name: argument) else {
            return .failure(IdentityLookupError("bad user name \(argument): no such user"))
        }
        return .success(RunAsUser(name: argument, uid: entry.uid, primaryGroup: entry.gid))
    }
}

/// mod_unixd's `Group`: the group the serving process runs as (its only group).
public struct RunAsGroup: Sendable, Equatable {
    public let name: String
    public let gid: gid_t

    public init(name: String, gid: gid_t) {
        self.name = name
        self.gid = gid
    }

    public static func resolve(_ argument: String) -> Result<RunAsGroup, IdentityLookupError> {
        if argument.hasPrefix("#") {
            guard let gid = gid_t(argument.dropFirst()) else {
                return .failure(IdentityLookupError("bad group id \(argument): # must be followed by a number"))
            }
            return .success(RunAsGroup(name: argument, gid: gid))
        }
        guard let gid = lookUpGroup(name: argument) else {
            return .failure(IdentityLookupError("bad group name \(argument): no such group"))
        }
        return .success(RunAsGroup(name: argument, gid: gid))
    }
}

public struct IdentityLookupError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

// The password and group databases (getpwnam_r and friends: reentrant, as the
// configuration may be read on any thread).

private func lookUpUser(name: String) -> (uid: uid_t, gid: gid_t)? {
    withPasswdEntry { entry, buffer, found in getpwnam_r(name, &entry, buffer, 16_384, &found) }
}

private func lookUpUser(uid: uid_t) -> (uid: uid_t, gid: gid_t)? {
    withPasswdEntry { entry, buffer, found in getpwuid_r(uid, &entry, buffer, 16_384, &found) }
}

private func withPasswdEntry(
    _ call: (inout passwd, UnsafeMutablePointer<CChar>, inout UnsafeMutablePointer<passwd>?) -> Int32
) -> (uid: uid_t, gid: gid_t)? {
    var entry = passwd()
    var found: UnsafeMutablePointer<passwd>?
    let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: 16_384)
    defer { buffer.deallocate() }
    guard call(&entry, buffer, &found) == 0, found != nil else { return nil }
    return (entry.pw_uid, entry.pw_gid)
}

private func lookUpGroup(name: String) -> gid_t? {
    var entry = group()
    var found: UnsafeMutablePointer<group>?
    let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: 16_384)
    defer { buffer.deallocate() }
    guard getgrnam_r(name, &entry, buffer, 16_384, &found) == 0, found != nil else { return nil }
    return entry.gr_gid
}
