import BatCatCore
import BatCatData
import Foundation

/// One object's key and size, as listed.
public struct ObjectInfo: Sendable, Equatable {
    /// The key, relative to the store's root, with `/` separators.
    public var key: String
    /// The size in bytes.
    public var size: Int

    /// Creates an entry.
    public init(key: String, size: Int) {
        self.key = key
        self.size = size
    }
}

/// A place that keeps objects by key: a local folder now; S3 and S3-compatible stores with the storage issue.
///
/// Keys are relative paths with `/` separators. A `put` is atomic: readers see the old object or the
/// whole new one.
public protocol ObjectStore: Sendable {
    /// The store's URL, for messages (`file:///path`).
    var url: String { get }
    /// Writes `bytes` at `key`, replacing any object there.
    func put(_ bytes: [UInt8], at key: String) async throws(StorageError)
    /// The bytes at `key`.
    func get(_ key: String) async throws(StorageError) -> [UInt8]
    /// Whether an object exists at `key`.
    func exists(_ key: String) async throws(StorageError) -> Bool
    /// The objects whose keys start with `prefix`, sorted by key.
    func list(prefix: String) async throws(StorageError) -> [ObjectInfo]
    /// Removes the object at `key`; removing a missing object is not an error.
    func delete(_ key: String) async throws(StorageError)
    /// A stream over the object's bytes, read a block at a time.
    func reader(for key: String) throws(StorageError) -> any ByteStream
    /// A text that changes whenever the object is written again, without reading its bytes: for a file,
    /// its size, inode, and modification and status-change times.
    func revision(of key: String) async throws(StorageError) -> String
    /// A writer whose bytes become the object at `key` only on ``ObjectWriter/commit()``; until then
    /// nothing is visible at `key`, and a writer dropped without committing leaves nothing behind.
    func writer(for key: String) throws(StorageError) -> any ObjectWriter
    /// Removes what the writers of processes that are no longer alive left behind (a killed run's unfinished
    /// objects), and returns how many were removed. Writers of live processes are left alone.
    func removeAbandonedWrites() async throws(StorageError) -> Int
}

/// Bytes on their way to an object; visible only once committed.
public protocol ObjectWriter: ByteSink {
    /// Makes the bytes written the object, atomically.
    func commit() throws(StorageError)
    /// Drops the bytes written.
    func abort()
}

/// Checks object keys: relative, non-empty segments, no `.` or `..`, no NUL or backslash.
public enum ObjectKey {
    /// The key's segments, or an error saying what is wrong with it.
    public static func validate(_ key: String) throws(StorageError) -> [String] {
        let segments = key.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard !key.isEmpty, !key.hasPrefix("/"), !key.contains("\\"), !key.contains("\u{0}"),
            segments.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." })
        else {
            throw StorageError(
                .invalidKey, "'\(key)' is not a valid object key",
                hints: ["a key is a relative path such as models/churn/1.json: no leading '/', no '.' or '..' segments, no empty segments"])
        }
        return segments
    }
}

/// Objects as files under a root folder. Keys never resolve outside the root, even through symbolic links.
public struct LocalObjectStore: ObjectStore {
    /// The root folder.
    public let root: URL

    /// A store rooted at `path` (created when missing).
    public init(root path: String) throws(StorageError) {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw StorageError(.io, "cannot create the store folder '\(path)': \(error.localizedDescription)")
        }
        root = URL(fileURLWithPath: LocalObjectStore.realPath(url.path) ?? url.path)
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// `file://` and the root's path.
    public var url: String { "file://\(root.path)" }

    /// The file for `key`, checked to lie inside the root after resolving links.
    func file(for key: String) throws(StorageError) -> URL {
        let segments = try ObjectKey.validate(key)
        var url = root
        for segment in segments { url.appendPathComponent(segment) }
        // Resolve the deepest folder on the way that exists (links included) with realpath(3): the
        // file itself may not exist yet, and a link anywhere above it must not lead out of the root.
        var existing = url.deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: existing.path) && existing.path.count > root.path.count {
            existing.deleteLastPathComponent()
        }
        var resolved = LocalObjectStore.realPath(existing.path) ?? existing.path
        if FileManager.default.fileExists(atPath: url.path), let full = LocalObjectStore.realPath(url.path) { resolved = full }
        guard resolved == root.path || resolved.hasPrefix(root.path + "/") else {
            throw StorageError(
                .invalidKey, "'\(key)' leads outside the store \(self.url)", hints: ["remove the symbolic link it passes through"])
        }
        return url
    }

    /// Writes atomically: a temporary file in the same folder, flushed, then renamed.
    public func put(_ bytes: [UInt8], at key: String) async throws(StorageError) {
        let target = try file(for: key)
        do {
            try AtomicFile.write(bytes, to: target.path)
        } catch {
            throw StorageError(.io, "cannot write '\(key)' in \(url): \(error.message)", hints: error.hints)
        }
    }

    /// Reads the whole object.
    public func get(_ key: String) async throws(StorageError) -> [UInt8] {
        let target = try file(for: key)
        guard let data = FileManager.default.contents(atPath: target.path) else {
            throw StorageError(.notFound, "no object '\(key)' in \(url)")
        }
        return Array(data)
    }

    /// Whether the file exists.
    public func exists(_ key: String) async throws(StorageError) -> Bool {
        FileManager.default.fileExists(atPath: try file(for: key).path)
    }

    /// Every file below the root whose key starts with `prefix`.
    public func list(prefix: String) async throws(StorageError) -> [ObjectInfo] {
        guard let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey, .fileSizeKey])
        else {
            return []
        }
        var found: [ObjectInfo] = []
        for case let url as URL in enumerator {
            let values = try? url.resourceValues(forKeys: [.isRegularFileKey, .fileSizeKey])
            guard values?.isRegularFile == true else { continue }
            let key = String(url.standardizedFileURL.resolvingSymlinksInPath().path.dropFirst(root.path.count + 1))
            if key.hasPrefix(prefix) && !url.lastPathComponent.hasPrefix(".") {
                found.append(ObjectInfo(key: key, size: values?.fileSize ?? 0))
            }
        }
        return found.sorted { $0.key < $1.key }
    }

    /// The file, read a block at a time.
    public func reader(for key: String) throws(StorageError) -> any ByteStream {
        let path = try file(for: key).path
        do {
            return try FileByteStream(path: path)
        } catch {
            throw StorageError(error.code == .io && !FileManager.default.fileExists(atPath: path) ? .notFound : .io, error.message)
        }
    }

    /// The file's size, inode, and modification and status-change times (to the nanosecond). Rewriting the
    /// file, replacing it, or setting its modification time back all change it: the status-change time
    /// cannot be set by anyone but the clock.
    public func revision(of key: String) async throws(StorageError) -> String {
        let path = try file(for: key).path
        var info = stat()
        guard stat(path, &info) == 0 else {
            let reason = String(cString: strerror(errno))
            throw StorageError(errno == ENOENT ? .notFound : .io, "cannot read the status of '\(key)' in \(url): \(reason)")
        }
        #if canImport(Darwin)
        let (modified, changed) = (info.st_mtimespec, info.st_ctimespec)
        #else
        let (modified, changed) = (info.st_mtim, info.st_ctim)
        #endif
        return "\(info.st_size)-\(info.st_ino)-\(modified.tv_sec).\(modified.tv_nsec)-\(changed.tv_sec).\(changed.tv_nsec)"
    }

    /// A temporary file beside the target, renamed onto it on commit.
    public func writer(for key: String) throws(StorageError) -> any ObjectWriter {
        let target = try file(for: key)
        do {
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw StorageError(.io, "cannot create the folder for '\(key)': \(error.localizedDescription)")
        }
        let temporary = target.deletingLastPathComponent().appendingPathComponent(
            ".\(target.lastPathComponent).part-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        return try LocalObjectWriter(temporary: temporary.path, target: target.path)
    }

    /// Removes the hidden temporary files (`.NAME.part-PID-N`, `.NAME.tmp-PID-N`) that writers of processes no
    /// longer alive left anywhere below the root: a process killed mid-write cannot remove its own.
    public func removeAbandonedWrites() async throws(StorageError) -> Int {
        guard let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey]) else { return 0 }
        var removed = 0
        for case let url as URL in enumerator {
            let name = url.lastPathComponent
            guard name.hasPrefix("."), let match = name.firstMatch(of: /\.(?:part|tmp)-(\d+)-\d+$/), let pid = Int32(match.1) else { continue }
            // kill(pid, 0) fails with ESRCH only when no such process exists; EPERM means it is alive (another user's).
            guard pid != getpid(), kill(pid, 0) == -1, errno == ESRCH else { continue }
            if unlink(url.path) == 0 { removed += 1 }
        }
        return removed
    }

    /// Removes the file.
    public func delete(_ key: String) async throws(StorageError) {
        let target = try file(for: key)
        if unlink(target.path) != 0 && errno != ENOENT {
            throw StorageError(.io, "cannot delete '\(key)' in \(url): \(String(cString: strerror(errno)))")
        }
    }
}

/// Opens object stores by URL: `file:///path`, or a plain path.
public enum ObjectStores {
    /// The store at `location`.
    public static func open(_ location: String) throws(StorageError) -> any ObjectStore {
        try LocalObjectStore(root: localPath(location))
    }

    /// The bytes of the one object a location names (`file:///path/m.json` or a plain path).
    public static func read(_ location: String) async throws(StorageError) -> [UInt8] {
        let path = try localPath(location)
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw StorageError(
                exists ? .io : .notFound, exists ? "cannot read '\(path)'" : "there is no file '\(path)'",
                hints: exists ? ["check its permissions"] : ["check the path"])
        }
        return Array(data)
    }

    /// The local path `location` names: `file:///path` or a plain path. Any other URL is an error, so that
    /// `s3://bucket/x` is never taken for a local folder named `s3:`.
    public static func localPath(_ location: String) throws(StorageError) -> String {
        if location.hasPrefix("file://") { return String(location.dropFirst("file://".count)) }
        if let scheme = location.range(of: "://").map({ String(location[..<$0.lowerBound]) }) {
            throw StorageError(
                .unsupportedScheme, "this build of BatCat cannot open '\(scheme)://' locations (\(location))",
                hints: ["use a local file or folder (file:///path or a plain path); S3 support is not part of this version"])
        }
        return location
    }
}

/// Writes to a temporary file and renames it onto the target on commit (after flushing to disk).
final class LocalObjectWriter: ObjectWriter, @unchecked Sendable {
    private let sink: FileByteSink
    private let temporary: String
    private let target: String
    private var finished = false

    init(temporary: String, target: String) throws(StorageError) {
        self.temporary = temporary
        self.target = target
        do {
            sink = try FileByteSink(path: temporary)
        } catch {
            throw StorageError(.io, error.message, hints: error.hints)
        }
    }

    deinit { if !finished { unlink(temporary) } }

    func write(_ bytes: UnsafeRawBufferPointer) throws(DataError) {
        try sink.write(bytes)
    }

    func commit() throws(StorageError) {
        do {
            try sink.close()
        } catch {
            throw StorageError(.io, error.message)
        }
        guard rename(temporary, target) == 0 else {
            throw StorageError(.io, "cannot move the finished file into place at '\(target)': \(String(cString: strerror(errno)))")
        }
        finished = true
    }

    func abort() {
        try? sink.close()
        unlink(temporary)
        finished = true
    }
}
