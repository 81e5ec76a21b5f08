import BatCatCore
import Foundation
import HTTPTypes
import Synchronization

/// API keys, kept only as SHA-256 digests and compared in constant time.
///
/// A keys file holds one key per line, `name sha256:<hex>`; `#` starts a comment. `batcat keys new`
/// writes such lines and prints the key itself once.
public struct APIKeys: Sendable {
    struct Entry: Sendable {
        var name: String
        var digest: [UInt8]
    }

    private let entries: [Entry]

    /// Keys from `name → sha256:<hex>` pairs.
    public init(digests: [(name: String, digest: String)]) throws(ServeError) {
        var entries: [Entry] = []
        for (name, digest) in digests {
            guard let bytes = APIKeys.bytes(ofDigest: digest) else {
                throw ServeError(.internalServerError, "bad_key_digest", "the key '\(name)' is not stored as sha256:<64 hex digits>")
            }
            entries.append(Entry(name: name, digest: bytes))
        }
        self.entries = entries
    }

    /// Reads a keys file.
    public static func load(file path: String) throws(ServeError) -> APIKeys {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ServeError(.internalServerError, "keys_unreadable", "cannot read the keys file '\(path)'")
        }
        var pairs: [(String, String)] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let content = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            let parts = content.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            if parts.isEmpty { continue }
            guard parts.count == 2, APIKeys.bytes(ofDigest: parts[1]) != nil else {
                let found = parts.count == 2 ? "the digest is not sha256:<64 hex digits>" : "\(parts.count) fields"
                throw ServeError(
                    .internalServerError, "keys_malformed",
                    "\(path):\(number + 1): expected 'name sha256:<64 hex digits>', found \(found); make keys with batcat keys new NAME --file \(path)")
            }
            pairs.append((parts[0], parts[1]))
        }
        return try APIKeys(digests: pairs)
    }

    /// A new random key (32 bytes, hex) and the line to store for it.
    public static func generate(name: String) -> (key: String, line: String) {
        var generator = SystemRandomNumberGenerator()
        let key = "bck_" + (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        return (key, "\(name) \(digest(of: key))")
    }

    static func bytes(ofDigest digest: String) -> [UInt8]? {
        guard digest.hasPrefix("sha256:") else { return nil }
        let hex = Array(digest.utf8.dropFirst(7))
        guard hex.count == 64 else { return nil }
        var out: [UInt8] = []
        for index in stride(from: 0, to: 64, by: 2) {
            guard let byte = UInt8(String(decoding: hex[index..<index + 2], as: UTF8.self), radix: 16) else { return nil }
            out.append(byte)
        }
        return out
    }

    /// The stored form of a key: `sha256:<hex>`.
    public static func digest(of key: String) -> String {
        Fingerprint.sha256(Array(key.utf8))
    }

    /// Whether there are no keys.
    public var isEmpty: Bool { entries.isEmpty }

    /// The name of the key that matches `presented`, or `nil`. Every stored digest is compared in
    /// full, whatever matches, so the time taken says nothing about the keys.
    public func match(_ presented: String) -> String? {
        guard let digest = APIKeys.bytes(ofDigest: Fingerprint.sha256(Array(presented.utf8))) else { return nil }
        var found: String?
        for entry in entries {
            var difference: UInt8 = 0
            for index in 0..<32 { difference |= entry.digest[index] ^ digest[index] }
            if difference == 0 && found == nil { found = entry.name }
        }
        return found
    }
}

/// A token bucket per caller: `rate` requests a second on average, bursts of up to `burst`.
public final class RateLimiter: Sendable {
    struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    /// Requests a second.
    public let rate: Double
    /// The largest burst.
    public let burst: Double
    private let buckets = Mutex<[String: Bucket]>([:])

    /// Creates a limiter.
    public init(rate: Double, burst: Double) {
        self.rate = rate
        self.burst = max(burst, 1)
    }

    /// Takes a token for `caller`; `nil` when allowed, else the seconds until a token is back.
    public func take(_ caller: String, now: ContinuousClock.Instant = .now) -> Double? {
        buckets.withLock { buckets in
            var bucket = buckets[caller] ?? Bucket(tokens: burst, updated: now)
            let elapsed = now - bucket.updated
            let seconds = elapsed.inSeconds
            bucket.tokens = min(burst, bucket.tokens + seconds * rate)
            bucket.updated = now
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                buckets[caller] = bucket
                return nil
            }
            buckets[caller] = bucket
            return (1 - bucket.tokens) / rate
        }
    }
}
