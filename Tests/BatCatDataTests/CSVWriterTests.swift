import BatCatData
import Foundation
import Testing

@Suite("CSV writing")
struct CSVWriterTests {
    private func written(_ frame: DataFrame) throws -> String {
        var writer = CSVWriter(sink: MemoryByteSink())
        try writer.write(frame)
        return writer.sink.text
    }

    @Test("Doubles written and read back are bit-identical")
    func doublesRoundTrip() throws {
        var generator = SplitMix(seed: 7)
        var values: [Double] = [0, -0.0, 1e-300, 5e-324, 1.7976931348623157e308, 0.1, 1.0 / 3, 123456789.123456789, -2.5e-7, .pi]
        for _ in 0..<5000 {
            let bits = generator.next()
            let value = Double(bitPattern: bits)
            if value.isFinite { values.append(value) }
            values.append(Double(generator.next() % 2_000_000) / 1000 - 1000)
        }
        let frame = try DataFrame(columns: [Column("x", doubles: values)])
        let back = try CSVReader().read(text: try written(frame))
        guard case .double(let read) = back.columns[0].values else {
            Issue.record("column came back as \(back.columns[0].type)")
            return
        }
        #expect(read.map(\.bitPattern) == values.map(\.bitPattern))
    }

    @Test(
        "Every type, with missing values, over several blocks of rows (and enough for every core to format a share): each line is its cells in order",
        arguments: [10_000, 70_001])
    func everyTypeManyRows(rows: Int) throws {
        var generator = SplitMix(seed: 11)
        let doubles: [Double?] = (0..<rows).map { $0 % 7 == 3 ? nil : Double(bitPattern: generator.next() >> 2) * ($0 % 2 == 0 ? 1 : -1) }
        let ints: [Int?] = (0..<rows).map {
            $0 % 11 == 5 ? nil : ($0 == 1 ? Int.min : ($0 == 2 ? Int.max : Int(truncatingIfNeeded: generator.next()) >> ($0 % 60)))
        }
        let texts: [String?] = (0..<rows).map { $0 % 13 == 0 ? nil : ["plain", "a,b", "say \"hi\"", "", "NA", " padded", "a text longer than sixteen bytes"][$0 % 7] }
        let flags: [Bool?] = (0..<rows).map { $0 % 5 == 4 ? nil : $0 % 3 == 0 }
        let frame = try DataFrame(columns: [
            Column("d", doubles: doubles), Column("i", ints: ints), Column("t", strings: texts), Column("b", bools: flags),
        ])
        func quoted(_ text: String) -> String {
            let plain = !text.isEmpty && text != "NA" && !text.hasPrefix(" ") && !text.contains(where: { $0 == "," || $0 == "\"" })
            return plain ? text : "\"" + text.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") + "\""
        }
        var expected = "d,i,t,b\n"
        for row in 0..<rows {
            let cells = [
                doubles[row].map { $0.description } ?? "", ints[row].map { String($0) } ?? "", texts[row].map(quoted) ?? "",
                flags[row].map { $0 ? "true" : "false" } ?? "",
            ]
            expected += cells.joined(separator: ",") + "\n"
        }
        #expect(try written(frame) == expected)
    }

    @Test("Numbers are spelled as Swift spells them: the shortest form that reads back, at every magnitude and edge")
    func numberSpellings() throws {
        var generator = SplitMix(seed: 19)
        var doubles: [Double] = [
            0, -0.0, .infinity, -.infinity, .nan, 5e-324, -5e-324, 2.2250738585072009e-308, 2.2250738585072014e-308,
            .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 9007199254740992, 9007199254740994, 18014398509481984, 1e16,
            1e15, 1e-4, 9.999999999999999e-05, 0.00012, 1e23, 0.1, 0.3, 100, 123.456, 1.5e-5, 2.0 / 3,
        ]
        // Each power of two and its neighbours (the gap below a power of two is half the gap above), and each power of
        // ten with numbers beside it.
        for exponent in -1074...1023 {
            let power = Double(sign: .plus, exponent: exponent, significand: 1)
            doubles += [power, power.nextUp, power.nextDown, power * 1.5]
        }
        for exponent in -323...308 {
            let power = Double("1e\(exponent)")!
            doubles += [power, power.nextUp, power.nextDown, power * 1.2345]
        }
        for _ in 0..<100_000 {
            doubles.append(Double(bitPattern: generator.next()))
            doubles.append(Double(Int(truncatingIfNeeded: generator.next()) % 20_000_000) / [1, 10, 1000, 1_000_000, 1e9][Int(generator.next() % 5)])
        }
        doubles += doubles.map { -$0 }
        var ints: [Int] = [0, 1, -1, .max, .min, .max - 1, .min + 1]
        var power = 1
        for _ in 0...18 {
            ints += [power, power - 1, power + 1, -power, -(power - 1), -(power + 1)]
            power = power.multipliedReportingOverflow(by: 10).partialValue
        }
        for _ in 0..<20_000 { ints.append(Int(truncatingIfNeeded: generator.next()) >> Int(generator.next() % 64)) }
        let rows = Swift.max(doubles.count, ints.count)
        // The same doubles again with every fifth missing: a missing cell keeps a number underneath.
        let hidden = (0..<rows).map { $0 % 5 == 2 }
        let frame = try DataFrame(columns: [
            Column("d", doubles: (0..<rows).map { $0 < doubles.count ? doubles[$0] : nil }),
            Column("i", ints: (0..<rows).map { $0 < ints.count ? ints[$0] : nil }),
            Column("m", doubles: (0..<rows).map { $0 < doubles.count ? doubles[$0] : 1.5 }, missing: hidden),
        ])
        let lines = try written(frame).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == rows + 2)
        var wrong: [String] = []
        for row in 0..<rows {
            let double = row < doubles.count ? doubles[row].description : ""
            let expected = double + "," + (row < ints.count ? String(ints[row]) : "") + "," + (hidden[row] ? "" : row < doubles.count ? double : "1.5")
            if lines[row + 1] != expected { wrong.append("\(lines[row + 1]) (expected \(expected))") }
        }
        #expect(wrong.isEmpty, "\(wrong.count) rows spelled differently, e.g. \(wrong.prefix(5))")
    }

    @Test("Text that needs it is quoted, and every kind of text reads back exactly")
    func textRoundTrip() throws {
        let texts: [String?] = ["plain", "with,comma", "with \"quotes\"", "two\nlines", " padded ", "", "NA", "?", nil, "ünïcödé"]
        let frame = try DataFrame(columns: [Column("t", strings: texts), Column("n", ints: Array(0..<texts.count).map { $0 })])
        let text = try written(frame)
        #expect(
            text.hasPrefix(
                "t,n\nplain,0\n\"with,comma\",1\n\"with \"\"quotes\"\"\",2\n\"two\nlines\",3\n\" padded \",4\n\"\",5\n\"NA\",6\n\"?\",7\n,8\n"
            ))
        #expect(try CSVReader().read(text: text) == frame)
    }

    @Test("Frames written one after another make one file with one header")
    func streaming() throws {
        let a = try DataFrame(columns: [Column("x", ints: [1, 2])])
        let b = try DataFrame(columns: [Column("x", ints: [3])])
        var writer = CSVWriter(sink: MemoryByteSink())
        try writer.write(a)
        try writer.write(b)
        try writer.finish()
        #expect(writer.sink.text == "x\n1\n2\n3\n")
        let other = try DataFrame(columns: [Column("y", ints: [1])])
        #expect(throws: DataError.self) { try writer.write(other) }
    }

    @Test("Large and small frames in turn, each written into the memory the last one used, give every line once and in order")
    func framesOfChangingSizes() throws {
        var generator = SplitMix(seed: 23)
        var writer = CSVWriter(sink: MemoryByteSink())
        var expected = "x,t\n"
        for (index, rows) in [70_001, 9_000, 1, 70_001, 40_000].enumerated() {
            let values = (0..<rows).map { _ in Double(Int(truncatingIfNeeded: generator.next()) % 1_000_000) / 1000 }
            // Longer cells in earlier frames, so a frame that reuses their memory would show their bytes.
            let texts = (0..<rows).map { String(repeating: "t", count: 1 + (4 - index) * 5 + $0 % 3) }
            try writer.write(try DataFrame(columns: [Column("x", doubles: values), Column("t", strings: texts)]))
            for row in 0..<rows { expected += "\(values[row]),\(texts[row])\n" }
        }
        try writer.finish()
        #expect(writer.sink.text == expected)
    }

    @Test("A file written in many pieces, past the size where the disk is told to start on it, reads back whole")
    func largeFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("batcat-sink-\(UUID().uuidString).csv").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var generator = SplitMix(seed: 3)
        var expected: [UInt8] = []
        let sink = try FileByteSink(path: path)
        // 10 MB in pieces of up to 100 KB, so the 4 MB marks fall inside pieces.
        while expected.count < 10 << 20 {
            let piece = (0..<Int(generator.next() % 100_000)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            try piece.withUnsafeBytes { try sink.write($0) }
            expected += piece
        }
        try sink.close()
        #expect(FileManager.default.contents(atPath: path).map(Array.init) == expected)
    }
}

/// A small deterministic generator for test data.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// `count` random decimal digits.
    mutating func digits(_ count: Int) -> String { String((0..<count).map { _ in Character(String(next() % 10)) }) }
}
