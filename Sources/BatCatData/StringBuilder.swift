#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Builds text values, dictionary-encoded while few of them are distinct.
///
/// Values arrive as UTF-8 bytes and are looked up as bytes, so a repeated value costs a hash of its bytes
/// and no `String`; only a new distinct value is validated and made into one.
struct StringBuilder {
    private var plain: [String] = []
    private var codes: [Int32] = []
    private var distinct: [String] = []
    private var table = ByteTable()
    private var encoded = true

    var count: Int { encoded ? codes.count : plain.count }

    /// Makes room for `total` values while they are dictionary codes.
    mutating func reserve(_ total: Int) {
        if encoded { codes.reserveCapacity(total) }
    }

    mutating func truncate(to rows: Int) {
        if encoded { codes.removeLast(max(0, codes.count - rows)) } else { plain.removeLast(max(0, plain.count - rows)) }
    }

    /// Appends the text whose UTF-8 bytes are `bytes`; `false` (and nothing appended) when they are not UTF-8.
    mutating func append(utf8 bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard encoded else {
            guard let text = String(validating: bytes, as: UTF8.self) else { return false }
            plain.append(text)
            return true
        }
        let hash = ByteTable.hash(bytes)
        if let code = table.find(bytes, hash: hash) {
            codes.append(code)
            return true
        }
        guard let text = String(validating: bytes, as: UTF8.self) else { return false }
        // Past 4096 rows with more than half of them distinct, a dictionary no longer pays.
        if distinct.count >= 4096 && distinct.count * 2 > codes.count {
            stopEncoding()
            plain.append(text)
            return true
        }
        codes.append(table.insert(bytes, hash: hash))
        distinct.append(text)
        return true
    }

    private mutating func stopEncoding() {
        plain = codes.map { distinct[Int($0)] }
        codes = []
        distinct = []
        table = ByteTable()
        encoded = false
    }

    mutating func append(_ text: String) {
        var text = text
        _ = text.withUTF8 { append(utf8: $0) }
    }

    /// Appends another builder's values; a dictionary's codes are translated once per distinct value.
    mutating func append(contentsOf other: StringBuilder) {
        guard encoded, other.encoded else {
            if other.encoded {
                for code in other.codes { append(other.distinct[Int(code)]) }
            } else {
                for text in other.plain { append(text) }
            }
            return
        }
        var translated: [Int32] = []
        translated.reserveCapacity(other.distinct.count)
        for text in other.distinct {
            var utf8 = text
            let code = utf8.withUTF8 { bytes -> Int32 in
                let hash = ByteTable.hash(bytes)
                if let code = table.find(bytes, hash: hash) { return code }
                distinct.append(text)
                return table.insert(bytes, hash: hash)
            }
            translated.append(code)
        }
        // No exact reserve here: called once per parsed segment, it would reallocate (and copy) every time.
        for code in other.codes { codes.append(translated[Int(code)]) }
        if distinct.count >= 4096 && distinct.count * 2 > codes.count { stopEncoding() }
    }

    func finish() -> StringValues {
        encoded ? StringValues(codes: codes, values: distinct) : StringValues(plain)
    }

    /// The first `rows` values, finished, and a builder of the rest.
    func split(at rows: Int) -> (StringValues, StringBuilder) {
        guard rows < count else { return (finish(), StringBuilder()) }
        var head = self
        head.truncate(to: rows)
        var rest = StringBuilder()
        if encoded {
            for code in codes[rows...] { rest.append(distinct[Int(code)]) }
        } else {
            for text in plain[rows...] { rest.append(text) }
        }
        return (head.finish(), rest)
    }
}

/// Distinct byte strings numbered in order of arrival, found by their bytes: FNV-1a hashes and open
/// addressing. Hand-written because `Dictionary` needs `String` keys, and making a `String` per field
/// (plus SipHash) was most of the cost of reading a text column.
struct ByteTable {
    /// Code + 1 per slot; 0 is empty. The count of slots is a power of two, at least twice the codes.
    private var slots = [Int32](repeating: 0, count: 64)
    private var hashes: [UInt64] = []
    private var starts: [Int] = [0]
    private var bytes: [UInt8] = []

    static func hash(_ key: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return hash
    }

    /// The code of `key`, when it was inserted before.
    func find(_ key: UnsafeBufferPointer<UInt8>, hash: UInt64) -> Int32? {
        let mask = slots.count - 1
        var index = Int(truncatingIfNeeded: hash ^ (hash >> 29)) & mask
        while true {
            let slot = slots[index]
            if slot == 0 { return nil }
            let code = Int(slot - 1)
            if hashes[code] == hash && starts[code + 1] - starts[code] == key.count && equal(code, key) { return slot - 1 }
            index = (index + 1) & mask
        }
    }

    private func equal(_ code: Int, _ key: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = key.baseAddress, key.count > 0 else { return true }
        return bytes.withUnsafeBufferPointer { memcmp($0.baseAddress! + starts[code], base, key.count) == 0 }
    }

    /// Numbers `key` (which must not be in the table) and returns its code.
    mutating func insert(_ key: UnsafeBufferPointer<UInt8>, hash: UInt64) -> Int32 {
        let code = hashes.count
        hashes.append(hash)
        bytes.append(contentsOf: key)
        starts.append(bytes.count)
        if hashes.count * 2 > slots.count {
            slots = [Int32](repeating: 0, count: slots.count * 2)
            for existing in 0..<hashes.count { place(existing) }
        } else {
            place(code)
        }
        return Int32(code)
    }

    private mutating func place(_ code: Int) {
        let mask = slots.count - 1
        let hash = hashes[code]
        var index = Int(truncatingIfNeeded: hash ^ (hash >> 29)) & mask
        while slots[index] != 0 { index = (index + 1) & mask }
        slots[index] = Int32(code + 1)
    }
}
