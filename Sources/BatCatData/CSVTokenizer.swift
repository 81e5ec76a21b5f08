/// The byte spans of one record's fields.
struct FieldSpans {
    var starts: [Int] = []
    var ends: [Int] = []
    var escaped: [Bool] = []
    var quoted: [Bool] = []
    var count = 0

    @inline(__always)
    mutating func reset() { count = 0 }

    @inline(__always)
    mutating func append(_ start: Int, _ end: Int, escaped isEscaped: Bool, quoted isQuoted: Bool = false) {
        if count < starts.count {
            starts[count] = start
            ends[count] = end
            escaped[count] = isEscaped
            quoted[count] = isQuoted
        } else {
            starts.append(start)
            ends.append(end)
            escaped.append(isEscaped)
            quoted.append(isQuoted)
        }
        count += 1
    }
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
    private let stops: [Bool]

    init(delimiter: UInt8) {
        self.delimiter = delimiter
        var stops = [Bool](repeating: false, count: 256)
        stops[Int(delimiter)] = true
        stops[0x0A] = true
        stops[0x0D] = true
        self.stops = stops
    }

    /// Reads the record that starts at `from`, filling `spans`. `atEnd` says no bytes follow `to`.
    @inline(__always)
    func record(_ base: UnsafePointer<UInt8>, from: Int, to: Int, atEnd: Bool, into spans: inout FieldSpans) -> Outcome {
        spans.reset()
        var position = from
        var lineEnds = 0
        let quote = UInt8(ascii: "\"")
        return stops.withUnsafeBufferPointer { stops in
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
