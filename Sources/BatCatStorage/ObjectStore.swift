import BatCatData

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

/// One page of a listing, and where the next one starts.
public struct ObjectPage: Sendable, Equatable {
    /// The objects on this page, sorted by key.
    public var objects: [ObjectInfo]
    /// The last key of this page when more follow: pass it as `after` for the next page; `nil` on the last page.
    public var next: String?

    /// Creates a page.
    public init(objects: [ObjectInfo], next: String?) {
        self.objects = objects
        self.next = next
    }
}

/// When a `put` may replace what is at its key.
public enum PutCondition: Sendable, Equatable {
    /// Always.
    case always
    /// Only when nothing is there yet (S3's `If-None-Match: *`).
    case absent
    /// Only when the object there is still at this ``ObjectStore/revision(of:)`` (S3's `If-Match`).
    case revision(String)
}

/// What a key names in a store.
public enum ObjectKind: Sendable, Equatable {
    /// An object of this many bytes.
    case object(size: Int)
    /// A folder (or a prefix) that objects lie under.
    case folder
    /// Nothing.
    case missing
}

/// A place that keeps objects by key: a local folder (``LocalObjectStore``) or, registered by URL scheme with
/// ``ObjectStores/register(_:)``, any other store.
///
/// Keys are relative paths with `/` separators. A `put` is atomic: readers see the old object or the
/// whole new one.
public protocol ObjectStore: Sendable {
    /// The store's URL, for messages (`file:///path`).
    var url: String { get }
    /// Writes `bytes` at `key` when `condition` holds; a condition that does not hold throws
    /// ``StorageError/Code/conditionFailed`` and changes nothing.
    func put(_ bytes: [UInt8], at key: String, condition: PutCondition) async throws(StorageError)
    /// The bytes at `key`.
    func get(_ key: String) async throws(StorageError) -> [UInt8]
    /// The bytes of `range` of the object at `key` (fewer when the object ends inside it).
    func get(_ key: String, range: Range<Int>) async throws(StorageError) -> [UInt8]
    /// What `key` names: an object, a folder of objects, or nothing.
    func kind(of key: String) async throws(StorageError) -> ObjectKind
    /// At most `limit` objects whose keys start with `prefix` and sort after `after`, sorted by key.
    func list(prefix: String, after: String?, limit: Int) async throws(StorageError) -> ObjectPage
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

extension ObjectStore {
    /// Writes `bytes` at `key`, replacing any object there.
    public func put(_ bytes: [UInt8], at key: String) async throws(StorageError) {
        try await put(bytes, at: key, condition: .always)
    }

    /// Whether an object exists at `key` (a folder is not an object).
    public func exists(_ key: String) async throws(StorageError) -> Bool {
        if case .object = try await kind(of: key) { return true }
        return false
    }

    /// Every object whose key starts with `prefix`, sorted by key, fetched a page at a time.
    public func list(prefix: String) async throws(StorageError) -> [ObjectInfo] {
        var found: [ObjectInfo] = []
        var after: String?
        repeat {
            let page = try await list(prefix: prefix, after: after, limit: 1000)
            found += page.objects
            after = page.next
        } while after != nil
        return found
    }
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
