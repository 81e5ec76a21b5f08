import Crypto

/// SHA-256 digests in the form BatCat prints and stores: `sha256:` followed by 64 lowercase hex digits.
public enum Fingerprint {
    /// The digest of `bytes`, as `sha256:<hex>`.
    public static func sha256<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var hasher = SHA256()
        hasher.update(data: Array(bytes))
        return "sha256:" + hex(hasher.finalize())
    }

    /// The lowercase hexadecimal form of a digest.
    static func hex(_ digest: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in digest {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Incremental SHA-256, for data that arrives in pieces (a file read in chunks, a frame column by column).
public struct FingerprintHasher: Sendable {
    private var hasher = SHA256()

    /// Creates an empty hasher.
    public init() {}

    /// Adds bytes to the digest.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        hasher.update(bufferPointer: bytes)
    }

    /// Adds bytes to the digest.
    public mutating func update(_ bytes: [UInt8]) {
        hasher.update(data: bytes)
    }

    /// The digest as `sha256:<hex>`.
    public func finalize() -> String {
        "sha256:" + Fingerprint.hex(hasher.finalize())
    }
}
