/// A statistic computed over a column within each group.
public enum Aggregation: Sendable, Hashable {
    /// Non-missing values.
    case count
    /// Sum of the values.
    case sum
    /// Arithmetic mean.
    case mean
    /// Smallest value.
    case min
    /// Largest value.
    case max
    /// Sample standard deviation (n − 1 in the denominator), as pandas computes it.
    case std
    /// A quantile with linear interpolation between the closest ranks (numpy's default), `q` in 0...1.
    case quantile(Double)

    /// The suffix of the result column's name: `bmi_mean`, `bmi_q0.5`.
    public var name: String {
        switch self {
        case .count: "count"
        case .sum: "sum"
        case .mean: "mean"
        case .min: "min"
        case .max: "max"
        case .std: "std"
        case .quantile(let q): "q\(NumberFormatting.shortest(q))"
        }
    }
}

/// Rows grouped by the values of key columns. Made by ``DataFrame/grouped(by:)``.
///
/// Groups are listed in ascending order of their keys; rows whose key is missing form one group,
/// listed last (as SQL's `GROUP BY` treats NULL).
public struct GroupedFrame: Sendable {
    /// The frame being grouped.
    public let frame: DataFrame
    /// The key columns' names.
    public let keys: [String]
    /// Row indices of each group, in group order.
    public let groups: [[Int]]

    /// The number of rows in each group, as a column `count` beside the keys.
    public func counts() throws(DataError) -> DataFrame {
        var result = keyColumns()
        result.append(Column("count", ints: groups.map(\.count)))
        return try DataFrame(columns: result)
    }

    /// The key columns followed by one column per (column, aggregation), named `column_aggregation`.
    /// Missing values are left out of every statistic; a group with no values gets a missing result.
    public func aggregate(_ requests: [(column: String, aggregation: Aggregation)]) throws(DataError) -> DataFrame {
        var result = keyColumns()
        for (name, aggregation) in requests {
            let column = try frame.column(name)
            guard let values = column.doubles else {
                if aggregation == .count {
                    result.append(Column("\(name)_count", ints: groups.map { $0.filter { !column.isMissing($0) }.count }))
                    continue
                }
                throw DataError(
                    .nonNumeric, "cannot compute \(aggregation.name) of column '\(name)': it holds text",
                    hints: ["use count for text columns, or convert the column to numbers"])
            }
            if case .quantile(let q) = aggregation, !(0...1).contains(q) {
                throw DataError(
                    .invalidArgument, "quantile \(q) is outside 0...1", hints: ["use for example .quantile(0.5) for the median"])
            }
            var out: [Double?] = []
            for rows in groups {
                let present = rows.compactMap { column.isMissing($0) ? nil : values[$0] }
                out.append(Statistics.aggregate(present, aggregation))
            }
            if aggregation == .count {
                result.append(Column("\(name)_count", ints: out.map { $0.map { Int($0) } }))
            } else {
                result.append(Column("\(name)_\(aggregation.name)", doubles: out))
            }
        }
        return try DataFrame(columns: result)
    }

    private func keyColumns() -> [Column] {
        let firsts = groups.map { $0[0] }
        return keys.compactMap { frame[$0]?.gathering(firsts) }
    }
}

extension DataFrame {
    /// Groups rows by equal values of the `keys` columns.
    public func grouped(by keys: [String]) throws(DataError) -> GroupedFrame {
        guard !keys.isEmpty else { throw DataError(.invalidArgument, "group-by needs at least one key column") }
        var keyColumns: [Column] = []
        for key in keys { keyColumns.append(try column(key)) }
        var index: [[Cell]: Int] = [:]
        var groups: [[Int]] = []
        var groupKeys: [[Cell]] = []
        for row in 0..<rowCount {
            let key = keyColumns.map { $0.cell(row) }
            if let group = index[key] {
                groups[group].append(row)
            } else {
                index[key] = groups.count
                groups.append([row])
                groupKeys.append(key)
            }
        }
        let order = groupKeys.indices.sorted { a, b in
            for (x, y) in zip(groupKeys[a], groupKeys[b]) where x != y {
                return Cell.ascending(x, y)
            }
            return false
        }
        return GroupedFrame(frame: self, keys: keys, groups: order.map { groups[$0] })
    }
}

/// Numerically careful statistics over plain arrays.
public enum Statistics {
    /// One aggregation of `values` (already without missing ones); `nil` when it is undefined.
    public static func aggregate(_ values: [Double], _ aggregation: Aggregation) -> Double? {
        switch aggregation {
        case .count: return Double(values.count)
        case .sum: return values.reduce(0, +)
        case .mean: return values.isEmpty ? nil : mean(values)
        case .min: return values.min()
        case .max: return values.max()
        case .std: return standardDeviation(values)
        case .quantile(let q):
            var copy = values
            return quantiles(&copy, [q]).first ?? nil
        }
    }

    /// The mean, by pairwise summation so long columns keep their precision.
    public static func mean(_ values: [Double]) -> Double {
        values.withUnsafeBufferPointer { pairwiseSum($0) } / Double(values.count)
    }

    /// The smallest and largest values (±infinity for none); NaN is passed over, as `Swift.min` does.
    public static func range(_ values: [Double]) -> (low: Double, high: Double) {
        // Four lanes, so the comparisons do not wait on each other.
        var lows = SIMD4<Double>(repeating: .infinity)
        var highs = SIMD4<Double>(repeating: -.infinity)
        let whole = values.count & ~3
        values.withUnsafeBufferPointer { v in
            var index = 0
            while index < whole {
                let lane = SIMD4(v[index], v[index + 1], v[index + 2], v[index + 3])
                lows.replace(with: lane, where: lane .< lows)
                highs.replace(with: lane, where: lane .> highs)
                index += 4
            }
        }
        var low = lows.min()
        var high = highs.max()
        for value in values[whole...] {
            if value < low { low = value }
            if value > high { high = value }
        }
        return (low, high)
    }

    static func pairwiseSum(_ values: UnsafeBufferPointer<Double>) -> Double {
        if values.count <= 256 {
            // Four running sums, so the additions do not wait on each other.
            var sums = SIMD4<Double>()
            let whole = values.count & ~3
            var index = 0
            while index < whole {
                sums += SIMD4(values[index], values[index + 1], values[index + 2], values[index + 3])
                index += 4
            }
            var sum = (sums[0] + sums[1]) + (sums[2] + sums[3])
            while index < values.count {
                sum += values[index]
                index += 1
            }
            return sum
        }
        let half = values.count / 2
        return pairwiseSum(UnsafeBufferPointer(rebasing: values[..<half])) + pairwiseSum(UnsafeBufferPointer(rebasing: values[half...]))
    }

    /// The sample standard deviation (n − 1), by two passes; `nil` for fewer than two values.
    public static func standardDeviation(_ values: [Double]) -> Double? {
        values.count > 1 ? standardDeviation(values, mean: mean(values)) : nil
    }

    /// The sample standard deviation of values whose mean is known.
    static func standardDeviation(_ values: [Double], mean m: Double) -> Double? {
        guard values.count > 1 else { return nil }
        // Four lanes of running sums, so the additions do not wait on each other.
        var squareLanes = SIMD4<Double>()
        var compensationLanes = SIMD4<Double>()
        let whole = values.count & ~3
        let means = SIMD4(repeating: m)
        values.withUnsafeBufferPointer { values in
            var index = 0
            while index < whole {
                let d = SIMD4(values[index], values[index + 1], values[index + 2], values[index + 3]) - means
                squareLanes += d * d
                compensationLanes += d
                index += 4
            }
        }
        var squares = squareLanes.sum()
        var compensation = compensationLanes.sum()
        for value in values[whole...] {
            let d = value - m
            squares += d * d
            compensation += d
        }
        let n = Double(values.count)
        return ((squares - compensation * compensation / n) / (n - 1)).squareRoot()
    }

    /// Quantiles `qs` of `values` with linear interpolation (numpy's default); may reorder `values`.
    ///
    /// Large inputs use a radix histogram of the values' top 16 bits, which finds the bucket of every
    /// rank in two passes, then select within those few buckets; small inputs use quickselect.
    public static func quantiles(_ values: inout [Double], _ qs: [Double]) -> [Double?] {
        guard !values.isEmpty else { return qs.map { _ in nil } }
        if values.count >= 1 << 14 { return histogramQuantiles(values, qs) }
        return values.withUnsafeMutableBufferPointer { buffer in
            qs.map { q in
                let position = q * Double(buffer.count - 1)
                let lowerIndex = Int(position.rounded(.down))
                let fraction = position - Double(lowerIndex)
                let lower = select(buffer, lowerIndex)
                guard fraction > 0, lowerIndex + 1 < buffer.count else { return lower }
                var upper = Double.infinity
                for index in (lowerIndex + 1)..<buffer.count where buffer[index] < upper { upper = buffer[index] }
                return lower + (upper - lower) * fraction
            }
        }
    }

    /// A key whose unsigned order is the doubles' order.
    @inline(__always)
    static func sortKey(_ value: Double) -> UInt64 {
        let bits = value.bitPattern
        return bits & (1 << 63) != 0 ? ~bits : bits | (1 << 63)
    }

    static func histogramQuantiles(_ values: [Double], _ qs: [Double]) -> [Double?] {
        let n = values.count
        // 32-bit counts: the table is half the size in the cache, and a column has fewer than 2^32 values.
        var counts = [UInt32](repeating: 0, count: 1 << 16)
        values.withUnsafeBufferPointer { buffer in
            counts.withUnsafeMutableBufferPointer { counts in
                for value in buffer { counts[Int(truncatingIfNeeded: sortKey(value) >> 48)] &+= 1 }
            }
        }
        var starts = [Int](repeating: 0, count: 1 << 16)
        var running = 0
        for bucket in 0..<(1 << 16) {
            starts[bucket] = running
            running += Int(counts[bucket])
        }
        func bucket(ofRank rank: Int) -> Int {
            var low = 0
            var high = (1 << 16) - 1
            while low < high {
                let middle = (low + high + 1) / 2
                if starts[middle] <= rank { low = middle } else { high = middle - 1 }
            }
            return low
        }
        var ranks: [Int] = []
        for q in qs {
            let position = q * Double(n - 1)
            let lower = Int(position.rounded(.down))
            ranks.append(lower)
            if lower + 1 < n { ranks.append(lower + 1) }
        }
        // Each needed bucket gets a slot; the table maps a bucket to its slot + 1 (0: not needed).
        let needed = Array(Set(ranks.map(bucket(ofRank:)))).sorted()
        var slotOf = [UInt8](repeating: 0, count: 1 << 16)
        var members = needed.map { bucket -> [Double] in
            var array: [Double] = []
            array.reserveCapacity(Int(counts[bucket]))
            return array
        }
        for (slot, bucket) in needed.enumerated() { slotOf[bucket] = UInt8(slot + 1) }
        slotOf.withUnsafeBufferPointer { slotOf in
            for value in values {
                let slot = Int(slotOf[Int(sortKey(value) >> 48)])
                if slot != 0 { members[slot - 1].append(value) }
            }
        }
        var byRank: [Int: Double] = [:]
        for rank in Set(ranks) {
            let b = bucket(ofRank: rank)
            let slot = Int(slotOf[b]) - 1
            byRank[rank] = members[slot].withUnsafeMutableBufferPointer { select($0, rank - starts[b]) }
        }
        return qs.map { q in
            let position = q * Double(n - 1)
            let lower = Int(position.rounded(.down))
            let fraction = position - Double(lower)
            let low = byRank[lower]!
            guard fraction > 0, lower + 1 < n else { return low }
            return low + (byRank[lower + 1]! - low) * fraction
        }
    }

    /// Moves the `k`-th smallest value to index `k`, smaller ones before it and larger after (quickselect).
    static func select(_ values: UnsafeMutableBufferPointer<Double>, _ k: Int) -> Double {
        quickselect(values, k, by: <)
        return values[k]
    }
}

/// Moves the element of rank `k` by `less` (a strict weak order) to index `k`, none after it less and none before it
/// greater (quickselect with a median-of-three pivot). Deterministic: the same input gives the same arrangement.
@inlinable
package func quickselect<T>(_ values: UnsafeMutableBufferPointer<T>, _ k: Int, by less: (T, T) -> Bool) {
    var low = 0
    var high = values.count - 1
    while high > low {
        let middle = low + (high - low) / 2
        if less(values[middle], values[low]) { values.swapAt(middle, low) }
        if less(values[high], values[low]) { values.swapAt(high, low) }
        if less(values[high], values[middle]) { values.swapAt(high, middle) }
        let pivot = values[middle]
        var i = low
        var j = high
        while i <= j {
            while less(values[i], pivot) { i += 1 }
            while less(pivot, values[j]) { j -= 1 }
            if i <= j {
                values.swapAt(i, j)
                i += 1
                j -= 1
            }
        }
        if k <= j {
            high = j
        } else if k >= i {
            low = i
        } else {
            break
        }
    }
}
