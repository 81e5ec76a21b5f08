import BatCatData
import Testing

@Suite("Joins")
struct JoinTests {
    // The two-table example: ids 1–4 on the left, ids 1, 4, 5, 6 on the right.
    let left = try! DataFrame(columns: [Column("id", ints: [1, 2, 3, 4]), Column("name", strings: ["a", "b", "c", "d"])])
    let right = try! DataFrame(columns: [Column("id", ints: [1, 4, 5, 6]), Column("score", doubles: [10, 40, 50, 60])])

    @Test("Inner join keeps ids 1 and 4")
    func inner() throws {
        let joined = try left.joined(with: right, on: ["id"], kind: .inner)
        let expected = try DataFrame(columns: [
            Column("id", ints: [1, 4]), Column("name", strings: ["a", "d"]), Column("score", doubles: [10, 40]),
        ])
        #expect(joined == expected)
    }

    @Test("Left join keeps every left id, with missing scores for 2 and 3")
    func leftJoin() throws {
        let joined = try left.joined(with: right, on: ["id"], kind: .left)
        let expected = try DataFrame(columns: [
            Column("id", ints: [1, 2, 3, 4]), Column("name", strings: ["a", "b", "c", "d"]),
            Column("score", doubles: [10, nil, nil, 40]),
        ])
        #expect(joined == expected)
    }

    @Test("Right join keeps every right id, with missing names for 5 and 6")
    func rightJoin() throws {
        let joined = try left.joined(with: right, on: ["id"], kind: .right)
        let expected = try DataFrame(columns: [
            Column("id", ints: [1, 4, 5, 6]), Column("name", strings: ["a", "d", nil, nil]),
            Column("score", doubles: [10, 40, 50, 60]),
        ])
        #expect(joined == expected)
    }

    @Test("Full outer join keeps ids 1–6 once each")
    func fullOuter() throws {
        let joined = try left.joined(with: right, on: ["id"], kind: .fullOuter)
        let expected = try DataFrame(columns: [
            Column("id", ints: [1, 2, 3, 4, 5, 6]), Column("name", strings: ["a", "b", "c", "d", nil, nil]),
            Column("score", doubles: [10, nil, nil, 40, 50, 60]),
        ])
        #expect(joined == expected)
    }

    @Test("Duplicate keys multiply rows, as in SQL")
    func duplicateKeys() throws {
        let l = try DataFrame(columns: [Column("k", strings: ["x", "x", "y"]), Column("a", ints: [1, 2, 3])])
        let r = try DataFrame(columns: [Column("k", strings: ["x", "x", "z"]), Column("b", ints: [10, 20, 30])])
        let joined = try l.joined(with: r, on: ["k"], kind: .inner)
        let expected = try DataFrame(columns: [
            Column("k", strings: ["x", "x", "x", "x"]), Column("a", ints: [1, 1, 2, 2]), Column("b", ints: [10, 20, 10, 20]),
        ])
        #expect(joined == expected)
    }

    @Test("Missing keys match nothing, and appear only in outer joins")
    func missingKeys() throws {
        let l = try DataFrame(columns: [Column("k", ints: [1, nil]), Column("a", strings: ["one", "none-left"])])
        let r = try DataFrame(columns: [Column("k", ints: [nil, 1]), Column("b", strings: ["none-right", "uno"])])
        #expect(
            try l.joined(with: r, on: ["k"], kind: .inner)
                == DataFrame(columns: [
                    Column("k", ints: [1]), Column("a", strings: ["one"]), Column("b", strings: ["uno"]),
                ]))
        #expect(
            try l.joined(with: r, on: ["k"], kind: .fullOuter)
                == DataFrame(columns: [
                    Column("k", ints: [1, nil, nil]), Column("a", strings: ["one", "none-left", nil]),
                    Column("b", strings: ["uno", nil, "none-right"]),
                ]))
    }

    @Test("Several keys, and clashing names get suffixes")
    func multiKeyAndSuffixes() throws {
        let l = try DataFrame(columns: [Column("a", ints: [1, 1]), Column("b", strings: ["x", "y"]), Column("v", ints: [1, 2])])
        let r = try DataFrame(columns: [Column("a", ints: [1, 1]), Column("b", strings: ["y", "z"]), Column("v", ints: [3, 4])])
        let joined = try l.joined(with: r, on: ["a", "b"], kind: .inner)
        #expect(
            joined
                == (try DataFrame(columns: [
                    Column("a", ints: [1]), Column("b", strings: ["y"]), Column("v_left", ints: [2]), Column("v_right", ints: [3]),
                ])))
    }

    @Test("Keys of different types are refused; unknown keys name the columns")
    func badKeys() {
        let text = try! DataFrame(columns: [Column("id", strings: ["1"])])
        #expect(throws: DataError.self) { try left.joined(with: text, on: ["id"]) }
        let error = #expect(throws: DataError.self) { try left.joined(with: right, on: ["ID"]) }
        #expect(error?.code == .unknownColumn)
    }
}
