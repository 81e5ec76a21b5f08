/// The byte spans of one record's fields, in buffers reused from record to record.
final class FieldSpans {
    private(set) var starts: UnsafeMutablePointer<Int>
    private(set) var ends: UnsafeMutablePointer<Int>
    /// Bit 0: the field held doubled quotes; bit 1: the field was quoted.
    private(set) var flags: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private var capacity = 64

    init() {
        starts = .allocate(capacity: capacity)
        ends = .allocate(capacity: capacity)
        flags = .allocate(capacity: capacity)
    }

    deinit {
        starts.deallocate()
        ends.deallocate()
        flags.deallocate()
    }

    @inline(__always)
    func reset() { count = 0 }

    @inline(__always)
    func escaped(_ index: Int) -> Bool { flags[index] & 1 != 0 }

    @inline(__always)
    func quoted(_ index: Int) -> Bool { flags[index] & 2 != 0 }

    @inline(__always)
    func append(_ start: Int, _ end: Int, escaped isEscaped: Bool, quoted isQuoted: Bool = false) {
        if count == capacity { grow() }
        starts[count] = start
        ends[count] = end
        flags[count] = (isEscaped ? 1 : 0) | (isQuoted ? 2 : 0)
        count += 1
    }

    private func grow() {
        let newCapacity = capacity * 2
        func moved<T>(_ old: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<T> {
            let new = UnsafeMutablePointer<T>.allocate(capacity: newCapacity)
            new.moveInitialize(from: old, count: count)
            old.deallocate()
            return new
        }
        starts = moved(starts)
        ends = moved(ends)
        flags = moved(flags)
        capacity = newCapacity
    }
}

/// A 256-entry table of the bytes that end an unquoted field.
final class StopTable: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Bool>

    init(delimiter: UInt8) {
        pointer = .allocate(capacity: 256)
        pointer.initialize(repeating: false, count: 256)
        pointer[Int(delimiter)] = true
        pointer[0x0A] = true
        pointer[0x0D] = true
    }

    deinit { pointer.deallocate() }
}

/// Splits bytes into records and fields by RFC 4180: quoted fields, doubled quotes, line breaks
/// inside quotes, and any of LF, CRLF or CR as the end of a record.
struct CSVTokenizer {
    enum Outcome {
        /// A whole record; `next` is where the following one starts, `lineEnds` how many line breaks it used.
        case record(next: Int, lineEnds: Int)
        /// The bytes end inside the record; more are needed.
        case incomplete
        /// The record breaks the quoting rules at byte `offset`.
        case malformed(offset: Int, reason: String)
    }

    let delimiter: UInt8
    private let table: StopTable

    init(delimiter: UInt8) {
        self.delimiter = delimiter
        table = StopTable(delimiter: delimiter)
    }

    /// Reads the record that starts at `from`, filling `spans`. `atEnd` says no bytes follow `to`.
    @inline(__always)
    func record(_ base: UnsafePointer<UInt8>, from: Int, to: Int, atEnd: Bool, into spans: FieldSpans) -> Outcome {
        spans.reset()
        var position = from
        var lineEnds = 0
        let quote = UInt8(ascii: "\"")
        let stops = table.pointer
        do {
            while true {
                if position < to && base[position] == quote {
                    let start = position + 1
                    position += 1
                    var escaped = false
                    var end = 0
                    while true {
                        while position < to && base[position] != quote {
                            if base[position] == 0x0A { lineEnds += 1 }
                            position += 1
                        }
                        if position >= to {
                            return atEnd ? .malformed(offset: start - 1, reason: "a quoted field is never closed") : .incomplete
                        }
                        if position + 1 < to && base[position + 1] == quote {
                            escaped = true
                            position += 2
                            continue
                        }
                        if position + 1 == to && !atEnd { return .incomplete }
                        end = position
                        position += 1
                        break
                    }
                    spans.append(start, end, escaped: escaped, quoted: true)
                    if position == to {
                        return atEnd ? .record(next: position, lineEnds: lineEnds) : .incomplete
                    }
                    let byte = base[position]
                    if byte == delimiter {
                        position += 1
                        if position == to && atEnd {
                            spans.append(position, position, escaped: false)
                            return .record(next: position, lineEnds: lineEnds)
                        }
                        continue
                    }
                    if byte == 0x0A { return .record(next: position + 1, lineEnds: lineEnds + 1) }
                    if byte == 0x0D {
                        if position + 1 < to {
                            return .record(next: position + (base[position + 1] == 0x0A ? 2 : 1), lineEnds: lineEnds + 1)
                        }
                        return atEnd ? .record(next: position + 1, lineEnds: lineEnds + 1) : .incomplete
                    }
                    return .malformed(
                        offset: position, reason: "unexpected character after a closing quote (expected a delimiter or the end of the line)"
                    )
                } else {
                    let start = position
                    while position < to && !stops[Int(base[position])] { position += 1 }
                    spans.append(start, position, escaped: false)
                    if position == to {
                        return atEnd ? .record(next: position, lineEnds: lineEnds) : .incomplete
                    }
                    let byte = base[position]
                    if byte == delimiter {
                        position += 1
                        if position == to && atEnd {
                            spans.append(position, position, escaped: false)
                            return .record(next: position, lineEnds: lineEnds)
                        }
                        continue
                    }
                    if byte == 0x0A { return .record(next: position + 1, lineEnds: lineEnds + 1) }
                    if position + 1 < to { return .record(next: position + (base[position + 1] == 0x0A ? 2 : 1), lineEnds: lineEnds + 1) }
                    return atEnd ? .record(next: position + 1, lineEnds: lineEnds + 1) : .incomplete
                }
            }
        }
    }
}
