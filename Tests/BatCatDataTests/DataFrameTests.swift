import BatCatData
import Testing

@Suite("Frame operations")
struct DataFrameTests {
    let frame = try! DataFrame(columns: [
        Column("city", strings: ["b", "a", "b", nil, "a"]),
        Column("age", ints: [30, 20, nil, 40, 20]),
        Column("bmi", doubles: [22.5, 19, 30, 25, 21]),
    ])

    @Test("Select, drop and rename name the missing column when asked for one")
    func columns() throws {
        #expect(try frame.selecting(["bmi", "city"]).columnNames == ["bmi", "city"])
        #expect(try frame.dropping(["age"]).columnNames == ["city", "bmi"])
        #expect(try frame.renaming(["bmi": "BMI"]).columnNames == ["city", "age", "BMI"])
        let error = #expect(throws: DataError.self) { try frame.selecting(["height"]) }
        #expect(error?.message == "no column named 'height'")
        #expect(throws: DataError.self) { try frame.renaming(["age": "bmi"]) }
    }

    @Test("Frames with duplicate names or unequal lengths are refused")
    func construction() {
        #expect(throws: DataError.self) { try DataFrame(columns: [Column("a", ints: [1]), Column("a", ints: [2])]) }
        #expect(throws: DataError.self) { try DataFrame(columns: [Column("a", ints: [1]), Column("b", ints: [1, 2])]) }
    }

    @Test("Filter by a row predicate and by a mask")
    func filter() throws {
        let heavy = try frame.filter { try $0.double("bmi") > 22 }
        #expect(heavy.rowCount == 3)
        #expect(try heavy.column("bmi").doubles == [22.5, 30, 25])
        #expect(try frame.filter(mask: [true, false, false, false, true]).column("bmi").doubles == [22.5, 21])
        #expect(throws: DataError.self) { try frame.filter(mask: [true]) }
    }

    @Test("Sorting on several keys is stable and puts missing values last")
    func sorting() throws {
        let sorted = try frame.sorted(by: [.ascending("city"), .descending("bmi")])
        #expect(try sorted.column("bmi").doubles == [21, 19, 30, 22.5, 25])
        let byAge = try frame.sorted(by: [.ascending("age")])
        #expect(try byAge.column("bmi").doubles == [19, 21, 22.5, 25, 30])
        let byAgeDescending = try frame.sorted(by: [.descending("age")])
        #expect(try byAgeDescending.column("bmi").doubles == [25, 22.5, 19, 21, 30])
    }

    @Test("Head, tail and slice clamp to the frame")
    func slicing() {
        #expect(frame.head(2).rowCount == 2)
        #expect(frame.head(99).rowCount == 5)
        #expect(frame.tail(2)["bmi"]?.doubles == [25, 21])
        #expect(frame.slice(3..<99)["bmi"]?.doubles == [25, 21])
    }

    @Test("Adding a column appends it; a column of the same name replaces it in place")
    func addingColumns() throws {
        let added = try frame.adding(Column("one", ints: [1, 1, 1, 1, 1]))
        #expect(added.columnNames == ["city", "age", "bmi", "one"])
        let replaced = try frame.adding(Column("age", doubles: [1, 2, 3, 4, 5]))
        #expect(replaced.columnNames == ["city", "age", "bmi"])
        #expect(replaced["age"]?.type == .double)
        #expect(throws: DataError.self) { try frame.adding(Column("short", ints: [1])) }
    }

    @Test("Concatenation widens integers to doubles and refuses different columns")
    func concat() throws {
        let a = try DataFrame(columns: [Column("x", ints: [1])])
        let b = try DataFrame(columns: [Column("x", doubles: [2.5])])
        #expect(try a.concatenating(b)["x"]?.doubles == [1, 2.5])
        #expect(throws: DataError.self) { try a.concatenating(frame) }
    }

    @Test("Unique rows and value counts")
    func uniqueAndCounts() throws {
        #expect(try frame.unique(["city"])["city"].map { c in (0..<c.count).map { c.cell($0) } } == [.string("b"), .string("a"), .missing])
        let counts = try frame.valueCounts("city")
        #expect(counts["city"].map { c in (0..<c.count).map { c.cell($0) } } == [.string("a"), .string("b"), .missing])
        #expect(counts["count"]?.doubles == [2, 2, 1])
    }

    @Test("pipe chains plain functions, with extra arguments")
    func pipe() throws {
        func clean(_ frame: DataFrame) throws -> DataFrame { try frame.filter { try !$0.isMissing("age") } }
        func addDouble(_ frame: DataFrame, _ name: String, _ factor: Double) throws -> DataFrame {
            try frame.adding(Column(name, doubles: (try frame.column("bmi").doubles ?? []).map { $0 * factor }))
        }
        let result = try frame.pipe(clean).pipe(addDouble, "twice", 2.0)
        #expect(result["twice"]?.doubles == [45, 38, 50, 42])
    }

    @Test("A matrix names text columns and missing values")
    func matrix() throws {
        let m = try frame.selecting(["bmi"]).matrix()
        #expect(m.rows == 5 && m.columns == 1 && m[1, 0] == 19)
        let text = #expect(throws: DataError.self) { try frame.matrix(["city"], allowMissing: true) }
        #expect(text?.message == "column 'city' holds text, not numbers")
        let missing = #expect(throws: DataError.self) { try frame.matrix(["age"]) }
        #expect(missing?.message == "column 'age' has 1 missing values")
        #expect(try frame.matrix(["age"], allowMissing: true)[2, 0].isNaN)
    }

    @Test("Text columns are dictionary-encoded when values repeat")
    func dictionaryEncoding() {
        let repeated = StringValues((0..<100).map { "c\($0 % 3)" })
        #expect(repeated.isDictionaryEncoded)
        #expect(repeated[4] == "c1")
        #expect(!StringValues((0..<100).map { "v\($0)" }).isDictionaryEncoded)
    }

    @Test("Text codes: a dictionary's codes as they are, other columns encoded, missing as -1; counts by text")
    func textCodes() throws {
        let rows: [String?] = (0..<40).map { $0 % 7 == 0 ? nil : ["b", "a", "c"][$0 % 3] }
        let dictionary = Column("t", strings: rows)
        guard case .string(let stored) = dictionary.values else { throw DataError(.invalidArgument, "not text") }
        #expect(stored.isDictionaryEncoded)
        #expect(Column("e", strings: [String]()).textCodes.codes.isEmpty)
        let number = Column("n", doubles: [1.5, nil, 1.5, 2])
        let flags = Column("f", bools: [true, nil, false, true])
        for column in [dictionary, number, flags, Column("u", strings: (0..<40).map { "v\($0)" })] {
            let (codes, texts) = column.textCodes
            #expect(codes.count == column.count)
            for row in 0..<column.count {
                #expect(column.isMissing(row) ? codes[row] == -1 : texts[Int(codes[row])] == column.cell(row).description)
            }
        }
        #expect(dictionary.textCounts == ["b": 12, "a": 11, "c": 11])
        #expect(number.textCounts == ["1.5": 2, "2.0": 1])
        #expect(flags.textCounts == ["true": 2, "false": 1])
        // A gathered column keeps its whole dictionary; an unused text is not counted.
        #expect(dictionary.gathering([1, 4]).textCounts == ["a": 2])
        // Back from codes: -1 is missing, and a text may stand twice.
        let rebuilt = Column("t", codes: [0, -1, 1, 2], texts: ["x", "y", "x"])
        #expect((0..<4).map { rebuilt.cell($0) } == [.string("x"), .missing, .string("y"), .string("x")])
        #expect(rebuilt.textCounts == ["x": 2, "y": 1])
        #expect(Column("t", codes: [-1, -1], texts: []).missingCount == 2)
        var bytes: [[UInt8]] = []
        StringValues(["é", "b", "é", "é"]).forEachUTF8 { bytes.append(Array($0)) }
        #expect(bytes == [Array("é".utf8), Array("b".utf8), Array("é".utf8), Array("é".utf8)])
    }
}

@Suite("Group-by and describe")
struct GroupByTests {
    let frame = try! DataFrame(columns: [
        Column("g", strings: ["x", "y", "x", nil, "x"]),
        Column("v", doubles: [1, 10, 3, 7, nil]),
    ])

    @Test("Aggregations per group, groups sorted with the missing key last")
    func aggregate() throws {
        let result = try frame.grouped(by: ["g"]).aggregate([
            ("v", .count), ("v", .sum), ("v", .mean), ("v", .min), ("v", .max), ("v", .std), ("v", .quantile(0.5)),
        ])
        #expect(result.columnNames == ["g", "v_count", "v_sum", "v_mean", "v_min", "v_max", "v_std", "v_q0.5"])
        #expect(result["g"].map { c in (0..<c.count).map { c.cell($0) } } == [.string("x"), .string("y"), .missing])
        #expect(result["v_count"]?.doubles == [2, 1, 1])
        #expect(result["v_sum"]?.doubles == [4, 10, 7])
        #expect(result["v_mean"]?.doubles == [2, 10, 7])
        #expect(result["v_std"]?.doubles?[0] == 2.0.squareRoot())
        #expect(result["v_std"]?.isMissing(1) == true)
        #expect(result["v_q0.5"]?.doubles == [2, 10, 7])
        #expect(try frame.grouped(by: ["g"]).counts()["count"]?.doubles == [3, 1, 1])
    }

    @Test("Text cannot be summed")
    func textAggregation() {
        let error = #expect(throws: DataError.self) { try frame.grouped(by: ["v"]).aggregate([("g", .sum)]) }
        #expect(error?.message == "cannot compute sum of column 'g': it holds text")
    }

    @Test("Quantiles interpolate linearly between ranks, as numpy does")
    func quantiles() {
        var values: [Double] = [7, 1, 3, 5, 9, 2]
        let q = Statistics.quantiles(&values, [0, 0.25, 0.5, 0.75, 1, 0.1])
        // numpy.quantile([7, 1, 3, 5, 9, 2], [0, .25, .5, .75, 1, .1])
        #expect(q == [1, 2.25, 4, 6.5, 9, 1.5])
    }

    @Test("describe gives pandas' statistics for numbers and count, unique and top for text")
    func describe() throws {
        let frame = try DataFrame(columns: [
            Column("n", doubles: [1, 2, 3, 4, nil]),
            Column("s", strings: ["a", "b", "a", nil, "c"]),
        ])
        let description = try frame.describe()
        let n = description.columns[0]
        #expect(n.count == 4 && n.missing == 1)
        #expect(n.mean == 2.5 && n.min == 1 && n.max == 4)
        // pandas: Series([1, 2, 3, 4]).std() == 1.2909944487358056
        #expect(n.std == 1.2909944487358056)
        #expect(n.q25 == 1.75 && n.q50 == 2.5 && n.q75 == 3.25)
        let s = description.columns[1]
        #expect(s.count == 4 && s.missing == 1 && s.unique == 3 && s.top == "a" && s.topCount == 2)
        #expect(
            description.table() == """
                column  type    count  missing  mean      std  min   25%  50%   75%  max  unique  top
                n       double      4        1   2.5  1.29099    1  1.75  2.5  3.25    4
                s       string      4        1                                                 3  a

                """)
    }

    @Test("describe's top breaks a tie in favour of the value first in sort order, whatever the row order")
    func describeTopTies() throws {
        let frame = try DataFrame(columns: [
            Column("s", strings: ["pear", "apple", "pear", "fig", "apple", nil]),
            Column("b", bools: [true, false, nil, true, false, nil]),
        ])
        let description = try frame.describe()
        let s = description.columns[0]
        #expect(s.unique == 3 && s.top == "apple" && s.topCount == 2)
        let b = description.columns[1]
        #expect(b.unique == 2 && b.top == "false" && b.topCount == 2 && b.missing == 2)
    }
}

@Suite("Quantiles on large inputs")
struct LargeQuantileTests {
    @Test("The histogram path gives exactly what a full sort gives", arguments: [0, 1, 2])
    func matchesSort(shape: Int) {
        var generator = SplitMix(seed: UInt64(shape + 11))
        let values: [Double] = (0..<100_003).map { index in
            let u = Double(generator.next() >> 11) / Double(1 << 53)
            switch shape {
            case 0: return u * 2 - 1  // spread over many buckets
            case 1: return 1000 + u  // every value in one or two buckets
            default: return index % 7 == 0 ? -u * 1e6 : Double(index % 13)  // ties and negatives
            }
        }
        let qs = [0, 0.01, 0.25, 0.5, 0.75, 0.99, 1]
        let sorted = values.sorted()
        let expected = qs.map { q -> Double in
            let position = q * Double(sorted.count - 1)
            let lower = Int(position.rounded(.down))
            let fraction = position - Double(lower)
            return fraction > 0 ? sorted[lower] + (sorted[lower + 1] - sorted[lower]) * fraction : sorted[lower]
        }
        var copy = values
        #expect(Statistics.quantiles(&copy, qs) == expected.map { Optional($0) })
    }
}
