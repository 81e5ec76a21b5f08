import BatCatData
import Dispatch

/// Dense linear algebra for the estimators: Gram matrices, Cholesky factorisation with a rank check,
/// and triangular solves. Matrices are row-major `[Double]`.
enum LinearAlgebra {
    /// Column means of `x`.
    static func columnMeans(_ x: Matrix) -> [Double] {
        let p = x.columns
        let partials = parallelRows(x.rows) { range -> [Double] in
            var sums = [Double](repeating: 0, count: p)
            x.values.withUnsafeBufferPointer { v in
                sums.withUnsafeMutableBufferPointer { s in
                    for row in range {
                        let base = row * p
                        for j in 0..<p { s[j] += v[base + j] }
                    }
                }
            }
            return sums
        }
        var sums = [Double](repeating: 0, count: p)
        for partial in partials { for j in 0..<p { sums[j] += partial[j] } }
        return sums.map { $0 / Double(max(x.rows, 1)) }
    }

    /// Sums over rows of z = x − shift and d = y − yShift: Σ z zᵀ (upper triangle), Σ z d, Σ z, Σ d, Σ d².
    struct ShiftedSums {
        var gram: [Double]
        var cross: [Double]
        var sumZ: [Double]
        var sumD: Double
        var sumD2: Double
    }

    /// One pass over the rows, split across cores, a block of rows at a time (see ``Design/withRows(_:scratch:_:)``).
    /// The kernel takes four rows at a time, so each entry of the Gram matrix is loaded and stored once per
    /// four products. Blocks hold a multiple of four rows, so the sums do not depend on how rows are read.
    static func shiftedSums(_ x: Design, shift: [Double], y: [Double], yShift: Double) -> ShiftedSums {
        let p = x.columns
        let partials = parallelRows(x.rows) { range -> ShiftedSums in
            var sums = ShiftedSums(
                gram: [Double](repeating: 0, count: p * p), cross: [Double](repeating: 0, count: p),
                sumZ: [Double](repeating: 0, count: p), sumD: 0, sumD2: 0)
            var scratch: [Double] = []
            var start = range.lowerBound
            while start < range.upperBound {
                let block = start..<min(range.upperBound, start + Design.blockRows)
                x.withRows(block, scratch: &scratch) { v in
                    y.withUnsafeBufferPointer { y in
                        shift.withUnsafeBufferPointer { m in
                            accumulate(&sums, rows: v, count: block.count, columns: p, y: y.baseAddress! + block.lowerBound, m, yShift)
                        }
                    }
                }
                start = block.upperBound
            }
            return sums
        }
        var total = ShiftedSums(
            gram: [Double](repeating: 0, count: p * p), cross: [Double](repeating: 0, count: p),
            sumZ: [Double](repeating: 0, count: p), sumD: 0, sumD2: 0)
        for part in partials {
            for index in 0..<(p * p) { total.gram[index] += part.gram[index] }
            for index in 0..<p {
                total.cross[index] += part.cross[index]
                total.sumZ[index] += part.sumZ[index]
            }
            total.sumD += part.sumD
            total.sumD2 += part.sumD2
        }
        for i in 0..<p { for j in 0..<i { total.gram[i * p + j] = total.gram[j * p + i] } }
        return total
    }

    /// Adds `count` rows of `v` (row-major, `columns` wide) and their targets `y` to `sums`, shifted by
    /// `m` and `yShift`.
    @inline(__always)
    private static func accumulate(
        _ sums: inout ShiftedSums, rows v: UnsafeBufferPointer<Double>, count: Int, columns p: Int, y: UnsafePointer<Double>,
        _ m: UnsafeBufferPointer<Double>, _ yShift: Double
    ) {
        // Running sums carried in and out, so their order of additions is that of one pass over all rows.
        var sumD = sums.sumD
        var sumD2 = sums.sumD2
        defer {
            sums.sumD = sumD
            sums.sumD2 = sumD2
        }
        withUnsafeTemporaryAllocation(of: Double.self, capacity: 4 * max(p, 1)) { z in
            sums.gram.withUnsafeMutableBufferPointer { g in
                sums.cross.withUnsafeMutableBufferPointer { c in
                    sums.sumZ.withUnsafeMutableBufferPointer { s in
                        let z0 = z.baseAddress!
                        let z1 = z0 + p
                        let z2 = z1 + p
                        let z3 = z2 + p
                        var row = 0
                        while row + 4 <= count {
                            let base = row * p
                            for j in 0..<p {
                                z0[j] = v[base + j] - m[j]
                                z1[j] = v[base + p + j] - m[j]
                                z2[j] = v[base + 2 * p + j] - m[j]
                                z3[j] = v[base + 3 * p + j] - m[j]
                            }
                            let d0 = y[row] - yShift
                            let d1 = y[row + 1] - yShift
                            let d2 = y[row + 2] - yShift
                            let d3 = y[row + 3] - yShift
                            sumD += (d0 + d1) + (d2 + d3)
                            sumD2 += (d0 * d0 + d1 * d1) + (d2 * d2 + d3 * d3)
                            for i in 0..<p {
                                let a0 = z0[i]
                                let a1 = z1[i]
                                let a2 = z2[i]
                                let a3 = z3[i]
                                c[i] += (a0 * d0 + a1 * d1) + (a2 * d2 + a3 * d3)
                                s[i] += (a0 + a1) + (a2 + a3)
                                let gi = g.baseAddress! + i * p
                                for j in i..<p { gi[j] += (a0 * z0[j] + a1 * z1[j]) + (a2 * z2[j] + a3 * z3[j]) }
                            }
                            row += 4
                        }
                        while row < count {
                            let base = row * p
                            for j in 0..<p { z0[j] = v[base + j] - m[j] }
                            let d = y[row] - yShift
                            sumD += d
                            sumD2 += d * d
                            for i in 0..<p {
                                let a = z0[i]
                                c[i] += a * d
                                s[i] += a
                                let gi = g.baseAddress! + i * p
                                for j in i..<p { gi[j] += a * z0[j] }
                            }
                            row += 1
                        }
                    }
                }
            }
        }
    }

    /// Column means and the mean target, and the centred Gram matrix Σ (xᵢ − m)(xᵢ − m)ᵀ with the centred
    /// cross products Σ (xᵢ − m)(yᵢ − ȳ), in one pass: the data are shifted by the mean of their first
    /// rows (so no large means cancel), and the exact means are corrected for afterwards.
    static func centredGram(_ x: Design, y: [Double], centre: Bool) -> (gram: [Double], cross: [Double], means: [Double], yMean: Double) {
        let p = x.columns
        let n = Double(x.rows)
        var shift = [Double](repeating: 0, count: p)
        var yShift = 0.0
        if centre {
            let head = min(x.rows, 1024)
            for row in 0..<head {
                for j in 0..<p { shift[j] += x.value(row: row, column: j) }
                yShift += y[row]
            }
            for j in 0..<p { shift[j] /= Double(max(head, 1)) }
            yShift /= Double(max(head, 1))
        }
        var sums = shiftedSums(x, shift: shift, y: y, yShift: yShift)
        guard centre else { return (sums.gram, sums.cross, shift, 0) }
        let offset = sums.sumZ.map { $0 / n }
        let yOffset = sums.sumD / n
        for i in 0..<p {
            sums.cross[i] -= n * offset[i] * yOffset
            for j in 0..<p { sums.gram[i * p + j] -= n * offset[i] * offset[j] }
        }
        return (sums.gram, sums.cross, zip(shift, offset).map { $0 + $1 }, yShift + yOffset)
    }

    /// The Gram matrix of `x` with a column of ones appended ([X 1]ᵀ[X 1]), [X 1]ᵀy and yᵀy, uncentred.
    static func augmentedGram(_ x: Design, y: [Double]) -> (gram: [Double], cross: [Double], yy: Double) {
        let p = x.columns
        let size = p + 1
        let sums = shiftedSums(x, shift: [Double](repeating: 0, count: p), y: y, yShift: 0)
        var gram = [Double](repeating: 0, count: size * size)
        for i in 0..<p {
            for j in 0..<p { gram[i * size + j] = sums.gram[i * p + j] }
            gram[i * size + p] = sums.sumZ[i]
            gram[p * size + i] = sums.sumZ[i]
        }
        gram[p * size + p] = Double(x.rows)
        return (gram, sums.cross + [sums.sumD], sums.sumD2)
    }

    /// The lower Cholesky factor of the symmetric positive definite `a` (p×p), or the index of the
    /// first column that depends linearly on the ones before it (a pivot below `tolerance` relative to
    /// that column's own diagonal).
    static func cholesky(_ a: [Double], size p: Int, tolerance: Double = 1e-10) -> Result<[Double], DependentColumn> {
        var l = [Double](repeating: 0, count: p * p)
        for j in 0..<p {
            var diagonal = a[j * p + j]
            for k in 0..<j { diagonal -= l[j * p + k] * l[j * p + k] }
            let scale = max(a[j * p + j], .leastNormalMagnitude)
            guard diagonal > tolerance * scale, diagonal.isFinite else { return .failure(DependentColumn(index: j)) }
            let root = diagonal.squareRoot()
            l[j * p + j] = root
            for i in (j + 1)..<max(p, j + 1) {
                var sum = a[i * p + j]
                for k in 0..<j { sum -= l[i * p + k] * l[j * p + k] }
                l[i * p + j] = sum / root
            }
        }
        return .success(l)
    }

    /// A column that is (nearly) a linear combination of earlier ones.
    struct DependentColumn: Error {
        var index: Int
    }

    /// Solves L Lᵀ x = b for the lower Cholesky factor `l`.
    static func choleskySolve(_ l: [Double], size p: Int, _ b: [Double]) -> [Double] {
        var y = b
        for i in 0..<p {
            var sum = y[i]
            for k in 0..<i { sum -= l[i * p + k] * y[k] }
            y[i] = sum / l[i * p + i]
        }
        var x = y
        for i in stride(from: p - 1, through: 0, by: -1) {
            var sum = x[i]
            for k in (i + 1)..<max(p, i + 1) { sum -= l[k * p + i] * x[k] }
            x[i] = sum / l[i * p + i]
        }
        return x
    }

    /// `x · w + b` for every row.
    static func predict(_ x: Matrix, weights: [Double], intercept: Double) -> [Double] {
        let p = x.columns
        var out = [Double](repeating: 0, count: x.rows)
        x.values.withUnsafeBufferPointer { v in
            weights.withUnsafeBufferPointer { w in
                out.withUnsafeMutableBufferPointer { o in
                    for row in 0..<x.rows {
                        var sum = intercept
                        let base = row * p
                        for j in 0..<p { sum += v[base + j] * w[j] }
                        o[row] = sum
                    }
                }
            }
        }
        return out
    }

    /// `x · w + b` for every row, with `x` given as columns; the same sums, in the same order, as the
    /// row-major version, so both give identical results. Rows go a block at a time (the block of sums
    /// stays in the cache while every column is added in), and large inputs are split across cores.
    static func predict(columns: [[Double]], rows: Int, weights: [Double], intercept: Double) -> [Double] {
        var out = [Double](repeating: intercept, count: rows)
        out.withUnsafeMutableBufferPointer { o in
            nonisolated(unsafe) let o = o
            _ = parallelRows(rows, minimumPerThread: 100_000) { range in
                var start = range.lowerBound
                while start < range.upperBound {
                    let end = min(range.upperBound, start + 2048)
                    for (j, column) in columns.enumerated() {
                        let w = weights[j]
                        column.withUnsafeBufferPointer { c in
                            for row in start..<end { o[row] += c[row] * w }
                        }
                    }
                    start = end
                }
            }
        }
        return out
    }

    /// `body` applied to each element, on every core, results in order.
    static func parallelMap<Element: Sendable, T>(_ elements: [Element], _ body: @Sendable (Element) -> T) -> [T] {
        nonisolated(unsafe) var results = [T?](repeating: nil, count: elements.count)
        results.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            DispatchQueue.concurrentPerform(iterations: elements.count) { index in out[index] = body(elements[index]) }
        }
        return results.map { $0! }
    }

    /// Runs `body` over row ranges on every core and returns the results in range order.
    static func parallelRows<T>(_ rows: Int, minimumPerThread: Int = 50_000, _ body: @Sendable (Range<Int>) -> T) -> [T] {
        let threads = max(1, min(systemThreads, rows / max(minimumPerThread, 1)))
        if threads == 1 { return [body(0..<rows)] }
        nonisolated(unsafe) var results = [T?](repeating: nil, count: threads)
        results.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            DispatchQueue.concurrentPerform(iterations: threads) { index in
                let lower = rows * index / threads
                let upper = rows * (index + 1) / threads
                out[index] = body(lower..<upper)
            }
        }
        return results.map { $0! }
    }

    static let systemThreads = max(1, CSVOptions().threads)
}
