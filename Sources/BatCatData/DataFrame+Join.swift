/// Which rows a join keeps.
public enum JoinKind: String, Sendable, CaseIterable {
    /// Rows whose keys match on both sides.
    case inner
    /// Every left row; right columns missing where nothing matches.
    case left
    /// Every right row; left columns missing where nothing matches.
    case right
    /// Every row of both sides.
    case fullOuter = "full"
}

extension DataFrame {
    /// Joins with `right` on equal values of the `on` columns, as SQL's `JOIN … USING (…)` does.
    ///
    /// - Each left row is paired with every matching right row, so duplicate keys multiply rows.
    /// - A missing key value matches nothing (SQL's NULL), and such rows appear only in outer joins.
    /// - The key columns appear once, first, holding the value from whichever side has the row.
    ///   Other columns present on both sides get `suffixes`.
    /// - Rows come in left order, each left row's matches in right order; a right or full join then
    ///   lists the unmatched right rows in right order.
    /// - Integer and double keys compare by numeric value.
    public func joined(
        with right: DataFrame, on keys: [String], kind: JoinKind = .inner, suffixes: (left: String, right: String) = ("_left", "_right")
    ) throws(DataError) -> DataFrame {
        guard !keys.isEmpty else {
            throw DataError(
                .invalidArgument, "a join needs at least one key column", hints: ["name the columns to match with on: [\"id\"]"])
        }
        var leftKeys: [Column] = []
        var rightKeys: [Column] = []
        for key in keys {
            let l = try column(key)
            let r = try right.column(key)
            guard JoinKeys.compatible(l.type, r.type) else {
                throw DataError(
                    .typeMismatch, "join key '\(key)' is \(l.type) on the left but \(r.type) on the right",
                    hints: ["convert one side so both key columns have the same type"])
            }
            leftKeys.append(l)
            rightKeys.append(r)
        }
        var table: [[Cell]: [Int]] = [:]
        for row in 0..<right.rowCount {
            guard let key = JoinKeys.key(rightKeys, row) else { continue }
            table[key, default: []].append(row)
        }
        var leftRows: [Int?] = []
        var rightRows: [Int?] = []
        var rightMatched = [Bool](repeating: false, count: right.rowCount)
        for row in 0..<rowCount {
            let matches = JoinKeys.key(leftKeys, row).flatMap { table[$0] } ?? []
            for match in matches {
                leftRows.append(row)
                rightRows.append(match)
                rightMatched[match] = true
            }
            if matches.isEmpty && (kind == .left || kind == .fullOuter) {
                leftRows.append(row)
                rightRows.append(nil)
            }
        }
        if kind == .right || kind == .fullOuter {
            if kind == .right {
                // A right join keeps only matched pairs from the left pass, then adds the unmatched right rows.
                var keptLeft: [Int?] = []
                var keptRight: [Int?] = []
                for (l, r) in zip(leftRows, rightRows) where r != nil {
                    keptLeft.append(l)
                    keptRight.append(r)
                }
                leftRows = keptLeft
                rightRows = keptRight
            }
            for row in 0..<right.rowCount where !rightMatched[row] {
                leftRows.append(nil)
                rightRows.append(row)
            }
        }
        let keySet = Set(keys)
        var out: [Column] = []
        for (index, key) in keys.enumerated() {
            let fromLeft = leftKeys[index].gathering(leftRows)
            let fromRight = rightKeys[index].gathering(rightRows)
            out.append(JoinKeys.coalesce(fromLeft, fromRight, leftRows: leftRows, name: key))
        }
        let rightNames = Set(right.columnNames)
        let leftNames = Set(columnNames)
        for column in columns where !keySet.contains(column.name) {
            var gathered = column.gathering(leftRows)
            if rightNames.contains(column.name) { gathered.name += suffixes.left }
            out.append(gathered)
        }
        for column in right.columns where !keySet.contains(column.name) {
            var gathered = column.gathering(rightRows)
            if leftNames.contains(column.name) { gathered.name += suffixes.right }
            out.append(gathered)
        }
        return try DataFrame(columns: out)
    }
}

enum JoinKeys {
    static func compatible(_ a: ColumnType, _ b: ColumnType) -> Bool {
        a == b || (a.isNumeric && b.isNumeric)
    }

    /// The key of `row`, numbers as doubles so that 1 and 1.0 match; `nil` when any part is missing.
    static func key(_ columns: [Column], _ row: Int) -> [Cell]? {
        var key: [Cell] = []
        key.reserveCapacity(columns.count)
        for column in columns {
            let cell = column.cell(row)
            switch cell {
            case .missing: return nil
            case .int(let value) where column.type == .int: key.append(.double(Double(value)))
            default: key.append(cell)
            }
        }
        return key
    }

    /// The key column of the joined frame: the left value where the row has a left side, else the right value.
    static func coalesce(_ left: Column, _ right: Column, leftRows: [Int?], name: String) -> Column {
        var cells: [Cell] = []
        cells.reserveCapacity(leftRows.count)
        for index in leftRows.indices { cells.append(leftRows[index] != nil ? left.cell(index) : right.cell(index)) }
        let type: ColumnType = left.type == right.type ? left.type : .double
        let normalised = type == .double ? cells.map { $0 == .missing ? Cell.missing : Cell.double($0.number ?? 0) } : cells
        return (try? Column.from(cells: normalised, name: name, type: type)) ?? left
    }
}
