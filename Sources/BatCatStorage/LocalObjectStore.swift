import BatCatCore
import BatCatData
import Foundation

/// Objects as files under a root folder.
///
/// A store made for a folder of objects (a registry's artifacts, a batch job's outputs) is *confined*: keys
/// never resolve outside the root, even through symbolic links. A store made for a file the user named
/// (``LocalFiles/object(at:)``) follows links as the shell does, since the user chose the path.
public struct LocalObjectStore: ObjectStore {
    /// The root folder, absolute, links resolved.
    public let root: URL
    /// The root as it was given, to name files in messages the way the user wrote them.
    private let given: String
    private let confined: Bool

    /// A store rooted at `path`, created when missing unless `create` is false.
    public init(root path: String, create: Bool = true) throws(StorageError) {
        try self.init(root: path, create: create, confined: true)
    }

    init(root path: String, create: Bool, confined: Bool) throws(StorageError) {
        let url = URL(fileURLWithPath: path.isEmpty ? "." : path).standardizedFileURL
        if create {
            do {
                try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            } catch {
                throw StorageError(.io, "cannot create the store folder '\(path)': \(error.localizedDescription)")
            }
        }
        root = URL(fileURLWithPath: LocalObjectStore.realPath(url.path) ?? url.path)
        given = path
        self.confined = confined
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// `file://` and the root's path.
    public var url: String { "file://\(root.path)" }

    /// The path of `key` as the user would write it: below the root as given.
    func path(of key: String) -> String {
        given.isEmpty || given == "." ? key : (given.hasSuffix("/") ? given + key : given + "/" + key)
    }

    /// The file for `key`; in a confined store, checked to lie inside the root after resolving links.
    func file(for key: String) throws(StorageError) -> String {
        let segments = try ObjectKey.validate(key)
        var url = root
        for segment in segments { url.appendPathComponent(segment) }
        guard confined else { return path(of: key) }
        // Resolve the deepest folder on the way that exists (links included) with realpath(3): the
        // file itself may not exist yet, and a link anywhere above it must not lead out of the root.
        var existing = url.deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: existing.path) && existing.path.count > root.path.count {
            existing.deleteLastPathComponent()
        }
        var resolved = LocalObjectStore.realPath(existing.path) ?? existing.path
        if FileManager.default.fileExists(atPath: url.path), let full = LocalObjectStore.realPath(url.path) { resolved = full }
        guard resolved == root.path || resolved.hasPrefix(root.path == "/" ? "/" : root.path + "/") else {
            throw StorageError(
                .invalidKey, "'\(key)' leads outside the store \(self.url)", hints: ["remove the symbolic link it passes through"])
        }
        return path(of: key)
    }

    private func failure(_ what: String, _ key: String, _ path: String) -> StorageError {
        let reason = String(cString: strerror(errno))
        return StorageError(errno == ENOENT ? .notFound : .io, "cannot \(what) '\(path)': \(reason)")
    }

    /// Writes atomically: a temporary file in the same folder, flushed, then renamed (or, for ``PutCondition/absent``,
    /// linked, which fails when the name is taken). A ``PutCondition/revision(_:)`` is checked under an exclusive
    /// lock on the folder's `.batcat.lock`, which every conditional writer of this store takes.
    public func put(_ bytes: [UInt8], at key: String, condition: PutCondition) async throws(StorageError) {
        let target = try file(for: key)
        switch condition {
        case .always:
            do {
                try AtomicFile.write(bytes, to: target)
            } catch {
                throw StorageError(.io, "cannot write '\(target)': \(error.message)", hints: error.hints)
            }
        case .absent:
            let writer = try localWriter(for: key)
            let written = bytes.withUnsafeBytes { raw in Result { () throws(DataError) in try writer.write(raw) } }
            if case .failure(let error) = written { throw StorageError(.io, error.message, hints: error.hints) }
            try writer.commit(replacing: false)
        case .revision(let expected):
            let lock = URL(fileURLWithPath: target).deletingLastPathComponent().appendingPathComponent(".batcat.lock").path
            let descriptor = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else { throw failure("open the lock file", key, lock) }
            defer { close(descriptor) }
            guard flock(descriptor, LOCK_EX) == 0 else { throw failure("lock", key, lock) }
            let current = try? LocalObjectStore.revision(ofFile: target)
            guard current == expected else {
                throw StorageError(
                    .conditionFailed, "'\(target)' changed since it was read (revision \(current ?? "none"), expected \(expected))",
                    hints: ["read it again and retry"])
            }
            try await put(bytes, at: key, condition: .always)
        }
    }

    /// Reads the whole object.
    public func get(_ key: String) async throws(StorageError) -> [UInt8] {
        let target = try file(for: key)
        guard let data = FileManager.default.contents(atPath: target) else {
            let exists = FileManager.default.fileExists(atPath: target)
            throw StorageError(
                exists ? .io : .notFound, exists ? "cannot read '\(target)'" : "there is no file '\(target)'",
                hints: exists ? ["check its permissions"] : ["check the path"])
        }
        return Array(data)
    }

    /// Reads `range` of the file with pread(2).
    public func get(_ key: String, range: Range<Int>) async throws(StorageError) -> [UInt8] {
        let target = try file(for: key)
        let descriptor = open(target, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure("open", key, target) }
        defer { close(descriptor) }
        var bytes = [UInt8](repeating: 0, count: range.count)
        var filled = 0
        while filled < range.count {
            let count = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + filled, range.count - filled, off_t(range.lowerBound + filled)) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw failure("read", key, target) }
            if count == 0 { break }
            filled += count
        }
        return Array(bytes.prefix(filled))
    }

    /// An object when the key is a regular file, a folder when it is a folder.
    public func kind(of key: String) async throws(StorageError) -> ObjectKind {
        var info = stat()
        guard stat(try file(for: key), &info) == 0 else { return .missing }
        switch info.st_mode & S_IFMT {
        case S_IFDIR: return .folder
        case S_IFREG: return .object(size: Int(info.st_size))
        default: return .missing
        }
    }

    /// The files below the root whose keys start with `prefix` (hidden files left out), a page at a time.
    public func list(prefix: String, after: String?, limit: Int) async throws(StorageError) -> ObjectPage {
        guard let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey, .fileSizeKey])
        else {
            return ObjectPage(objects: [], next: nil)
        }
        var found: [ObjectInfo] = []
        for case let url as URL in enumerator {
            let values = try? url.resourceValues(forKeys: [.isRegularFileKey, .fileSizeKey])
            guard values?.isRegularFile == true else { continue }
            let key = String(url.standardizedFileURL.resolvingSymlinksInPath().path.dropFirst(root.path.count + 1))
            if key.hasPrefix(prefix) && !url.lastPathComponent.hasPrefix(".") && after.map({ key > $0 }) ?? true {
                found.append(ObjectInfo(key: key, size: values?.fileSize ?? 0))
            }
        }
        found.sort { $0.key < $1.key }
        guard found.count > limit else { return ObjectPage(objects: found, next: nil) }
        let page = Array(found.prefix(max(limit, 1)))
        return ObjectPage(objects: page, next: page.last?.key)
    }

    /// The file, read a block at a time.
    public func reader(for key: String) throws(StorageError) -> any ByteStream {
        let path = try file(for: key)
        do {
            return try FileByteStream(path: path)
        } catch {
            throw StorageError(error.code == .io && !FileManager.default.fileExists(atPath: path) ? .notFound : .io, error.message, hints: error.hints)
        }
    }

    /// The file's size, inode, and modification and status-change times (to the nanosecond). Rewriting the
    /// file, replacing it, or setting its modification time back all change it: the status-change time
    /// cannot be set by anyone but the clock.
    public func revision(of key: String) async throws(StorageError) -> String {
        try LocalObjectStore.revision(ofFile: try file(for: key))
    }

    static func revision(ofFile path: String) throws(StorageError) -> String {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let reason = String(cString: strerror(errno))
            throw StorageError(errno == ENOENT ? .notFound : .io, "cannot read the status of '\(path)': \(reason)")
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
        try localWriter(for: key)
    }

    private func localWriter(for key: String) throws(StorageError) -> LocalObjectWriter {
        let target = URL(fileURLWithPath: try file(for: key))
        do {
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw StorageError(.io, "cannot create the folder for '\(target.path)': \(error.localizedDescription)")
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
        if unlink(target) != 0 && errno != ENOENT { throw failure("delete", key, target) }
    }
}

/// The `file://` scheme and plain paths: local folders and files.
public struct LocalFiles: ObjectStoreScheme {
    /// Creates the scheme.
    public init() {}

    /// `file`.
    public var scheme: String { "file" }

    /// The path a `file://` URL or plain path names.
    static func path(_ location: String) -> String {
        location.hasPrefix("file://") ? String(location.dropFirst("file://".count)) : location
    }

    /// A confined store rooted at the folder (made when missing).
    public func store(at location: String) throws(StorageError) -> any ObjectStore {
        try LocalObjectStore(root: LocalFiles.path(location))
    }

    /// The file's folder (not made) as a store that follows links, and the file's name as the key.
    public func object(at location: String) throws(StorageError) -> ObjectLocation {
        let path = LocalFiles.path(location)
        let url = URL(fileURLWithPath: path)
        let name = url.lastPathComponent
        guard !path.isEmpty, !path.hasSuffix("/"), name != ".", name != ".." else {
            throw StorageError(.invalidKey, "'\(location)' names a folder, not a file", hints: ["name a file inside it"])
        }
        let folder = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : ""
        let store = try LocalObjectStore(root: folder.isEmpty && path.hasPrefix("/") ? "/" : folder, create: false, confined: false)
        return ObjectLocation(store: store, key: name, description: location)
    }

    /// A relative path joined to the base folder, written relative to the current folder when it lies below it.
    public func resolve(_ location: String, against base: String) -> String {
        let path = LocalFiles.path(location)
        if path.hasPrefix("/") { return location }
        let full = URL(fileURLWithPath: LocalFiles.path(base)).appendingPathComponent(path).standardizedFileURL.path
        let current = FileManager.default.currentDirectoryPath
        return full.hasPrefix(current + "/") ? String(full.dropFirst(current.count + 1)) : full
    }
}

/// Writes to a temporary file and moves it onto the target on commit (after flushing to disk).
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
        try commit(replacing: true)
    }

    /// Renames onto the target, or, when not `replacing`, links to it (which fails if the name is taken) and
    /// removes the temporary name.
    func commit(replacing: Bool) throws(StorageError) {
        do {
            try sink.close()
        } catch {
            throw StorageError(.io, error.message)
        }
        if replacing {
            guard rename(temporary, target) == 0 else {
                throw StorageError(.io, "cannot move the finished file into place at '\(target)': \(String(cString: strerror(errno)))")
            }
        } else {
            guard link(temporary, target) == 0 else {
                let taken = errno == EEXIST
                unlink(temporary)
                finished = true
                throw StorageError(
                    taken ? .conditionFailed : .io,
                    taken ? "'\(target)' already exists" : "cannot put the finished file at '\(target)': \(String(cString: strerror(errno)))",
                    hints: taken ? ["it was written by someone else first; read it instead"] : [])
            }
            unlink(temporary)
        }
        finished = true
    }

    func abort() {
        try? sink.close()
        unlink(temporary)
        finished = true
    }
}
