import BatCatData

/// The training-data fingerprint: a tree of SHA-256 digests of fixed-size chunks of the frame's canonical bytes,
/// computed on every core and combined in order. `docs/FINGERPRINT.md` defines it so anyone can recompute it.
///
/// The canonical bytes (`batcat.frame/2`) are, in order: the line `batcat.frame/2\n`; then per column its name
/// and type as two lines, its row count (UInt64, little-endian), a byte 1 and one byte per row (1 missing,
/// 0 present) or a byte 0 when nothing is missing, and its values (doubles and dates as little-endian IEEE 754
/// binary64, integers as little-endian Int64, booleans one byte each, text as a UInt32 little-endian byte count
/// then its UTF-8). They are cut into chunks of ``chunkSize`` bytes (the last may be shorter); the fingerprint
/// is the SHA-256 of the text `batcat.tree/1 chunk=<chunk size> length=<total bytes>\n` followed by one line
/// per chunk, `sha256:<hex of the chunk's digest>\n`.
public enum DataFingerprint {
    /// The chunk size: 4 MiB, as object stores' chunked digests use.
    public static let chunkSize = 4 << 20

    /// The fingerprint of `frame`, hashing its chunks on every core (on one with `parallel: false`); the digest is the
    /// same either way.
    public static func of(
        _ frame: DataFrame, makeHasher: @Sendable () -> any ByteHasher, chunkSize: Int = DataFingerprint.chunkSize, parallel: Bool = true
    ) -> String {
        let stream = CanonicalStream(frame)
        let chunks = max(1, (stream.count + chunkSize - 1) / chunkSize)
        let digest = { (chunk: Int) -> String in
            var hasher = makeHasher()
            let start = chunk * chunkSize
            stream.feed(start..<min(start + chunkSize, stream.count)) { hasher.update($0) }
            return hasher.finalize()
        }
        let digests = parallel ? concurrentMap(chunks, digest) : (0..<chunks).map(digest)
        var root = makeHasher()
        var text = "batcat.tree/1 chunk=\(chunkSize) length=\(stream.count)\n"
        for digest in digests { text += digest + "\n" }
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { root.update(UnsafeRawBufferPointer($0)) }
        return root.finalize()
    }

    /// The canonical bytes in one array (for tests and for checking the definition; the fingerprint never builds it).
    public static func canonicalBytes(_ frame: DataFrame) -> [UInt8] {
        let stream = CanonicalStream(frame)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(stream.count)
        stream.feed(0..<stream.count) { bytes.append(contentsOf: $0) }
        return bytes
    }
}

/// The canonical bytes as a list of segments, without copying the columns' numbers: any byte range can be fed
/// to a hasher on its own, so chunks are hashed independently.
private struct CanonicalStream: Sendable {
    /// One piece of the stream: small bytes made here, or a column's values as they lie in memory.
    enum Segment: Sendable {
        case bytes([UInt8])
        case doubles([Double])
        case integers([Int])
    }

    private var segments: [Segment] = []
    private var offsets: [Int] = []
    private(set) var count = 0

    init(_ frame: DataFrame) {
        append(.bytes(Array("batcat.frame/2\n".utf8)))
        for column in frame.columns {
            var head = Array("\(column.name)\n\(column.type.rawValue)\n".utf8)
            CanonicalStream.appendInteger(UInt64(column.count), to: &head)
            if let missing = column.missing {
                head.append(1)
                head += missing.map { $0 ? 1 : 0 }
            } else {
                head.append(0)
            }
            append(.bytes(head))
            switch column.values {
            case .double(let values), .date(let values): append(.doubles(values))
            case .int(let values): append(.integers(values))
            case .bool(let values): append(.bytes(values.map { $0 ? 1 : 0 }))
            case .string(let values):
                var text: [UInt8] = []
                values.forEachUTF8 { bytes in
                    CanonicalStream.appendInteger(UInt32(bytes.count), to: &text)
                    text.append(contentsOf: bytes)
                }
                append(.bytes(text))
            }
        }
    }

    static func appendInteger<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    private mutating func append(_ segment: Segment) {
        let size: Int
        switch segment {
        case .bytes(let bytes): size = bytes.count
        case .doubles(let values): size = values.count * 8
        case .integers(let values): size = values.count * 8
        }
        guard size > 0 else { return }
        segments.append(segment)
        offsets.append(count)
        count += size
    }

    /// Calls `body` with the bytes of `range`, in order, a segment's part at a time.
    func feed(_ range: Range<Int>, _ body: (UnsafeRawBufferPointer) -> Void) {
        guard !range.isEmpty else { return }
        // The last segment starting at or before the range's start.
        var low = 0
        var high = offsets.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if offsets[middle] <= range.lowerBound { low = middle } else { high = middle - 1 }
        }
        var index = low
        while index < segments.count && offsets[index] < range.upperBound {
            let start = max(range.lowerBound, offsets[index]) - offsets[index]
            let end = min(range.upperBound, offsets[index] + size(index)) - offsets[index]
            CanonicalStream.withBytes(segments[index]) { body(UnsafeRawBufferPointer(rebasing: $0[start..<end])) }
            index += 1
        }
    }

    private func size(_ index: Int) -> Int {
        (index + 1 < offsets.count ? offsets[index + 1] : count) - offsets[index]
    }

    /// A segment's bytes: numbers as little-endian (their bytes in memory on a little-endian machine).
    private static func withBytes(_ segment: Segment, _ body: (UnsafeRawBufferPointer) -> Void) {
        switch segment {
        case .bytes(let bytes): bytes.withUnsafeBytes(body)
        case .doubles(let values):
            #if _endian(big)
            var bytes: [UInt8] = []
            for value in values { appendInteger(value.bitPattern, to: &bytes) }
            bytes.withUnsafeBytes(body)
            #else
            values.withUnsafeBytes(body)
            #endif
        case .integers(let values):
            #if _endian(big) || !(arch(x86_64) || arch(arm64))
            var bytes: [UInt8] = []
            for value in values { appendInteger(Int64(value), to: &bytes) }
            bytes.withUnsafeBytes(body)
            #else
            values.withUnsafeBytes(body)
            #endif
        }
    }
}
