import BatCatData
import Foundation
import Synchronization

/// A kind of object store, opened by the scheme of its URLs (`file`, `s3`).
///
/// To add a store: implement ``ObjectStore`` and this, and call ``ObjectStores/register(_:)`` once at
/// startup (the CLI registers every concrete store). Every command that takes a location then accepts its URLs.
public protocol ObjectStoreScheme: Sendable {
    /// The URL scheme, without `://` (`s3`).
    var scheme: String { get }
    /// The store whose root is the folder or prefix `location` names.
    func store(at location: String) throws(StorageError) -> any ObjectStore
    /// The store that holds the one object `location` names, and its key there.
    func object(at location: String) throws(StorageError) -> ObjectLocation
    /// `location` with a relative path taken against `base` (a location of this scheme naming a folder).
    func resolve(_ location: String, against base: String) -> String
}

/// One object somewhere: a store and a key in it, named as the user wrote it.
public struct ObjectLocation: Sendable, CustomStringConvertible {
    /// The store that holds it.
    public let store: any ObjectStore
    /// Its key in the store.
    public let key: String
    /// The location as written (`data/train.csv`, `s3://bucket/train.csv`), for messages.
    public let description: String

    /// Creates a location.
    public init(store: any ObjectStore, key: String, description: String) {
        self.store = store
        self.key = key
        self.description = description
    }

    /// A stream over its bytes.
    public func reader() throws(StorageError) -> any ByteStream { try store.reader(for: key) }
    /// All its bytes.
    public func read() async throws(StorageError) -> [UInt8] { try await store.get(key) }
    /// Writes it whole, atomically.
    public func write(_ bytes: [UInt8], condition: PutCondition = .always) async throws(StorageError) {
        try await store.put(bytes, at: key, condition: condition)
    }
    /// A writer whose bytes become it on commit.
    public func writer() throws(StorageError) -> any ObjectWriter { try store.writer(for: key) }
    /// What it names: an object, a folder, or nothing.
    public func kind() async throws(StorageError) -> ObjectKind { try await store.kind(of: key) }
    /// The last segment of its key (`train.csv`).
    public var name: String { String(key.split(separator: "/").last ?? Substring(key)) }
}

/// Opens object stores and objects by URL: `file:///path` or a plain path (``LocalFiles``), and whatever
/// schemes are registered.
public enum ObjectStores {
    private static let schemes = Mutex<[String: any ObjectStoreScheme]>(["file": LocalFiles()])

    /// Adds (or replaces) the store for a URL scheme.
    public static func register(_ scheme: any ObjectStoreScheme) {
        schemes.withLock { $0[scheme.scheme] = scheme }
    }

    /// The schemes that can be opened, sorted.
    public static var registeredSchemes: [String] { schemes.withLock { $0.keys.sorted() } }

    /// The scheme of `location` (`s3` for `s3://b/k`), or `nil` for a plain path.
    public static func scheme(of location: String) -> String? {
        guard let end = location.range(of: "://") else { return nil }
        let scheme = location[..<end.lowerBound]
        guard !scheme.isEmpty, scheme.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == "." }) else { return nil }
        return String(scheme)
    }

    static func handler(for location: String) throws(StorageError) -> any ObjectStoreScheme {
        let name = scheme(of: location) ?? "file"
        guard let handler = schemes.withLock({ $0[name] }) else {
            let known = registeredSchemes.filter { $0 != "file" }.map { "\($0)://" }
            var hint = "use a local file or folder (file:///path or a plain path)"
            if !known.isEmpty { hint += " or a location of \(known.joined(separator: ", "))" }
            if !known.contains("s3://") { hint += "; S3 support is not part of this version" }
            throw StorageError(.unsupportedScheme, "this build of BatCat cannot open '\(name)://' locations (\(location))", hints: [hint])
        }
        return handler
    }

    /// Throws ``StorageError/Code/unsupportedScheme`` unless a store for `location`'s scheme is registered; opens nothing.
    public static func checkScheme(_ location: String) throws(StorageError) {
        _ = try handler(for: location)
    }

    /// The store whose root is the folder or prefix `location` names.
    public static func open(_ location: String) throws(StorageError) -> any ObjectStore {
        try handler(for: location).store(at: location)
    }

    /// The one object `location` names.
    public static func object(_ location: String) throws(StorageError) -> ObjectLocation {
        try handler(for: location).object(at: location)
    }

    /// The bytes of the one object `location` names.
    public static func read(_ location: String) async throws(StorageError) -> [UInt8] {
        try await object(location).read()
    }

    /// `location` as seen from the folder `base`: a relative path is taken against it; a URL or an absolute
    /// path stays as it is.
    public static func resolve(_ location: String, against base: String) -> String {
        guard scheme(of: location) == nil, let handler = try? handler(for: base) else { return location }
        return handler.resolve(location, against: base)
    }
}
