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

    /// The centred Gram matrix Σ (xᵢ − m)(xᵢ − m)ᵀ (full p×p, symmetric) and the centred cross products
    /// Σ (xᵢ − m)(yᵢ − ȳ), in one pass over the rows, split across cores.
    static func centredGram(_ x: Matrix, means: [Double], y: [Double], yMean: Double) -> (gram: [Double], cross: [Double]) {
        let p = x.columns
        let partials = parallelRows(x.rows) { range -> ([Double], [Double]) in
            var gram = [Double](repeating: 0, count: p * p)
            var cross = [Double](repeating: 0, count: p)
            var z = [Double](repeating: 0, count: p)
            x.values.withUnsafeBufferPointer { v in
                y.withUnsafeBufferPointer { y in
                    means.withUnsafeBufferPointer { m in
                        gram.withUnsafeMutableBufferPointer { g in
                            cross.withUnsafeMutableBufferPointer { c in
                                z.withUnsafeMutableBufferPointer { z in
                                    for row in range {
                                        let base = row * p
                                        for j in 0..<p { z[j] = v[base + j] - m[j] }
                                        let dy = y[row] - yMean
                                        for i in 0..<p {
                                            let zi = z[i]
                                            c[i] += zi * dy
                                            let rowBase = i * p
                                            for j in i..<p { g[rowBase + j] += zi * z[j] }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            return (gram, cross)
        }
        var gram = [Double](repeating: 0, count: p * p)
        var cross = [Double](repeating: 0, count: p)
        for (g, c) in partials {
            for index in 0..<(p * p) { gram[index] += g[index] }
            for index in 0..<p { cross[index] += c[index] }
        }
        for i in 0..<p { for j in 0..<i { gram[i * p + j] = gram[j * p + i] } }
        return (gram, cross)
    }

    /// The Gram matrix of `x` with a column of ones appended ([X 1]ᵀ[X 1]) and [X 1]ᵀy, uncentred.
    static func augmentedGram(_ x: Matrix, y: [Double]) -> (gram: [Double], cross: [Double], yy: Double) {
        let p = x.columns + 1
        let partials = parallelRows(x.rows) { range -> ([Double], [Double], Double) in
            var gram = [Double](repeating: 0, count: p * p)
            var cross = [Double](repeating: 0, count: p)
            var yy = 0.0
            var z = [Double](repeating: 1, count: p)
            x.values.withUnsafeBufferPointer { v in
                gram.withUnsafeMutableBufferPointer { g in
                    cross.withUnsafeMutableBufferPointer { c in
                        z.withUnsafeMutableBufferPointer { z in
                            for row in range {
                                let base = row * x.columns
                                for j in 0..<x.columns { z[j] = v[base + j] }
                                let target = y[row]
                                yy += target * target
                                for i in 0..<p {
                                    let zi = z[i]
                                    c[i] += zi * target
                                    let rowBase = i * p
                                    for j in i..<p { g[rowBase + j] += zi * z[j] }
                                }
                            }
                        }
                    }
                }
            }
            return (gram, cross, yy)
        }
        var gram = [Double](repeating: 0, count: p * p)
        var cross = [Double](repeating: 0, count: p)
        var yy = 0.0
        for (g, c, partialYY) in partials {
            for index in 0..<(p * p) { gram[index] += g[index] }
            for index in 0..<p { cross[index] += c[index] }
            yy += partialYY
        }
        for i in 0..<p { for j in 0..<i { gram[i * p + j] = gram[j * p + i] } }
        return (gram, cross, yy)
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
