import BatCatData
import Dispatch

/// Dense linear algebra for the estimators: Gram matrices, Cholesky factorisation with a rank check,
/// and triangular solves. Matrices are row-major `[Double]`.
enum LinearAlgebra {
    /// Sums over rows of z = x − shift and d = y − yShift: Σ z zᵀ (upper triangle), Σ z d, Σ z, Σ d, Σ d².
    struct ShiftedSums {
        var gram: [Double]
        var cross: [Double]
        var sumZ: [Double]
        var sumD: Double
        var sumD2: Double
    }

    /// Rows per block of the Gram kernel: a block of a few dozen columns stays in the processor's caches while
    /// every pair of its columns is summed.
    static let kernelRows = 256

    /// One pass over the rows, in pieces summed on every core and added up in order (see
    /// ``parallelRows(_:minimumPerPiece:_:)``); within a piece, a block of ``kernelRows`` rows at a time is
    /// shifted into scratch columns — the features, the target and a column of ones, so that the plain
    /// sums are Gram entries too — and every product of two columns is summed two rows at a time, eight
    /// products per tile of two by four columns held in registers. Throws, naming the row and feature, when a value is missing
    /// or infinite (they make the sums so; the search for the row runs only then).
    static func shiftedSums(_ x: Design, shift: [Double], y: [Double], yShift: Double) throws(MLError) -> ShiftedSums {
        let p = x.columns
        let used = p + 2
        let width = (used + 3) & ~3
        let partials = parallelRows(x.rows, minimumPerPiece: 1 << 16) { rows -> [Double] in
            gramSums(x, rows: rows, shift: shift, y: y, yShift: yShift, width: width)
        }
        var total = [Double](repeating: 0, count: width * width)
        for part in partials { for index in total.indices { total[index] += part[index] } }
        if !total.allSatisfy(\.isFinite), let (row, column) = x.firstNonFinite() { throw nonFiniteFeature(x, row: row, column: column) }
        var sums = ShiftedSums(
            gram: [Double](repeating: 0, count: p * p), cross: [Double](repeating: 0, count: p),
            sumZ: [Double](repeating: 0, count: p), sumD: total[p * width + p + 1], sumD2: total[p * width + p])
        for i in 0..<p {
            for j in i..<p {
                sums.gram[i * p + j] = total[i * width + j]
                sums.gram[j * p + i] = total[i * width + j]
            }
            sums.cross[i] = total[i * width + p]
            sums.sumZ[i] = total[i * width + p + 1]
        }
        return sums
    }

    /// The sums of products of the shifted columns over `rows`, `width` × `width` (upper triangle).
    private static func gramSums(
        _ x: Design, rows: Range<Int>, shift: [Double], y: [Double], yShift: Double, width: Int
    ) -> [Double] {
        let p = x.columns
        let block = kernelRows
        var gram = [Double](repeating: 0, count: width * width)
        // Column j of a block is z[j * block ..< (j + 1) * block]; the padding columns stay zero, and so does a
        // block's last row when it has an odd number (the kernel takes two rows at a time).
        var scratch = [Double](repeating: 0, count: width * block)
        scratch.withUnsafeMutableBufferPointer { buffer in
            let z = buffer.baseAddress!
            for row in 0..<block { z[(p + 1) * block + row] = 1 }
            var start = rows.lowerBound
            while start < rows.upperBound {
                let count = min(block, rows.upperBound - start)
                x.copyShifted(start..<(start + count), by: shift, into: z, stride: block)
                y.withUnsafeBufferPointer { y in
                    for row in 0..<count { z[p * block + row] = y[start + row] - yShift }
                }
                if count & 1 == 1 { for column in 0..<(p + 2) { z[column * block + count] = 0 } }
                gram.withUnsafeMutableBufferPointer { g in
                    accumulate(z, stride: block, rows: (count + 1) & ~1, columns: p + 2, into: g.baseAddress!, width: width)
                }
                start += count
            }
        }
        return gram
    }

    /// Adds the products of every pair of the first `columns` columns of `z` (`stride` apart) over `rows`
    /// rows (an even number) to the upper triangle of `g`, a tile of two by four columns at a time.
    @inline(__always)
    private static func accumulate(
        _ z: UnsafePointer<Double>, stride: Int, rows: Int, columns: Int, into g: UnsafeMutablePointer<Double>, width: Int
    ) {
        @inline(__always) func load(_ pointer: UnsafePointer<Double>) -> SIMD2<Double> {
            UnsafeRawPointer(pointer).loadUnaligned(as: SIMD2<Double>.self)
        }
        var i = 0
        while i < columns {
            let a0 = z + i * stride
            let a1 = a0 + stride
            var j = i & ~3
            while j < columns {
                let b0 = z + j * stride
                let b1 = b0 + stride
                let b2 = b1 + stride
                let b3 = b2 + stride
                var s00 = SIMD2<Double>(), s01 = SIMD2<Double>(), s02 = SIMD2<Double>(), s03 = SIMD2<Double>()
                var s10 = SIMD2<Double>(), s11 = SIMD2<Double>(), s12 = SIMD2<Double>(), s13 = SIMD2<Double>()
                var row = 0
                while row < rows {
                    let x0 = load(a0 + row)
                    let x1 = load(a1 + row)
                    let y0 = load(b0 + row)
                    let y1 = load(b1 + row)
                    let y2 = load(b2 + row)
                    let y3 = load(b3 + row)
                    s00 += x0 * y0
                    s01 += x0 * y1
                    s02 += x0 * y2
                    s03 += x0 * y3
                    s10 += x1 * y0
                    s11 += x1 * y1
                    s12 += x1 * y2
                    s13 += x1 * y3
                    row += 2
                }
                let first = g + i * width + j
                let second = first + width
                first[0] += s00[0] + s00[1]
                first[1] += s01[0] + s01[1]
                first[2] += s02[0] + s02[1]
                first[3] += s03[0] + s03[1]
                second[0] += s10[0] + s10[1]
                second[1] += s11[0] + s11[1]
                second[2] += s12[0] + s12[1]
                second[3] += s13[0] + s13[1]
                j += 4
            }
            i += 2
        }
    }

    /// Column means and the mean target, and the centred Gram matrix Σ (xᵢ − m)(xᵢ − m)ᵀ with the centred
    /// cross products Σ (xᵢ − m)(yᵢ − ȳ), in one pass: the data are shifted by the mean of their first
    /// rows (so no large means cancel), and the exact means are corrected for afterwards.
    static func centredGram(
        _ x: Design, y: [Double], centre: Bool
    ) throws(MLError) -> (gram: [Double], cross: [Double], means: [Double], yMean: Double) {
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
        var sums = try shiftedSums(x, shift: shift, y: y, yShift: yShift)
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
    static func augmentedGram(_ x: Design, y: [Double]) throws(MLError) -> (gram: [Double], cross: [Double], yy: Double) {
        let p = x.columns
        let size = p + 1
        let sums = try shiftedSums(x, shift: [Double](repeating: 0, count: p), y: y, yShift: 0)
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

    /// An estimate of the condition number of L Lᵀ from its Cholesky factor: the squared ratio of the largest
    /// to the smallest diagonal entry (a lower bound, good to within a modest factor for Gram matrices).
    static func conditionEstimate(choleskyFactor l: [Double], size p: Int) -> Double {
        guard p > 0 else { return 1 }
        var low = Double.infinity
        var high = 0.0
        for j in 0..<p {
            low = min(low, l[j * p + j])
            high = max(high, l[j * p + j])
        }
        let ratio = high / low
        return ratio * ratio
    }

    /// The least-squares solution of (x − shift) w ≈ y − yShift, with the rows √α I appended when α > 0 (ridge),
    /// by Householder QR of the shifted data; or the first column that is (to 1e-12 of its norm) a linear
    /// combination of the ones before it. Costs O(n p²) and a copy of the data: used only when the Gram matrix
    /// is ill conditioned.
    static func leastSquaresQR(
        _ x: Design, _ y: [Double], shift: [Double], yShift: Double, alpha: Double
    ) -> Result<[Double], DependentColumn> {
        let p = x.columns
        let n = x.rows
        let m = n + (alpha > 0 ? p : 0)
        // Column-major: column j is a[j * m ..< (j + 1) * m]; the right-hand side is b.
        var a = [Double](repeating: 0, count: m * p)
        a.withUnsafeMutableBufferPointer { buffer in
            x.copyShifted(0..<n, by: shift, into: buffer.baseAddress!, stride: m)
        }
        if alpha > 0 { for j in 0..<p { a[j * m + n + j] = alpha.squareRoot() } }
        var b = [Double](repeating: 0, count: m)
        for i in 0..<n { b[i] = y[i] - yShift }
        var norms = [Double](repeating: 0, count: p)
        for j in 0..<p {
            var sum = 0.0
            for i in 0..<m { sum += a[j * m + i] * a[j * m + i] }
            norms[j] = sum.squareRoot()
        }
        var diagonal = [Double](repeating: 0, count: p)
        for k in 0..<p {
            var norm = 0.0
            for i in k..<m { norm += a[k * m + i] * a[k * m + i] }
            norm = norm.squareRoot()
            guard norm > 1e-12 * max(norms[k], .leastNormalMagnitude), norm.isFinite else { return .failure(DependentColumn(index: k)) }
            let alphaK = a[k * m + k] > 0 ? -norm : norm
            // v = column k below the diagonal, less alphaK at the top; H = I − 2 v vᵀ / vᵀv.
            a[k * m + k] -= alphaK
            var vv = 0.0
            for i in k..<m { vv += a[k * m + i] * a[k * m + i] }
            for j in (k + 1)..<max(p, k + 1) {
                var dot = 0.0
                for i in k..<m { dot += a[k * m + i] * a[j * m + i] }
                let factor = 2 * dot / vv
                for i in k..<m { a[j * m + i] -= factor * a[k * m + i] }
            }
            var dot = 0.0
            for i in k..<m { dot += a[k * m + i] * b[i] }
            let factor = 2 * dot / vv
            for i in k..<m { b[i] -= factor * a[k * m + i] }
            diagonal[k] = alphaK
        }
        // Back substitution with R: diagonal[k] on the diagonal, a[j * m + k] above it.
        var w = [Double](repeating: 0, count: p)
        for k in stride(from: p - 1, through: 0, by: -1) {
            var sum = b[k]
            for j in (k + 1)..<max(p, k + 1) { sum -= a[j * m + k] * w[j] }
            w[k] = sum / diagonal[k]
        }
        return .success(w)
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
        out.withUnsafeMutableBufferPointer { buffer in
            // Each piece of rows writes only its own rows.
            let o = ThreadShared(buffer)
            _ = parallelRows(rows, minimumPerPiece: 100_000) { range in
                // The buffer itself in the loop: the shared wrapper's subscript is another module's generic code.
                let o = o.value
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
        concurrentMap(elements.count) { body(elements[$0]) }
    }

    /// Runs `body` over row ranges on every core and returns the results in range order. The rows are cut
    /// into pieces of at least `minimumPerPiece` rows (at most ``maximumPieces``), by their count alone: sums
    /// over the pieces, added up in order, are then the same on a machine with any number of cores, and so is
    /// a model fitted from them, byte for byte.
    static func parallelRows<T>(_ rows: Int, minimumPerPiece: Int = 50_000, _ body: @Sendable (Range<Int>) -> T) -> [T] {
        let pieces = max(1, min(maximumPieces, rows / max(minimumPerPiece, 1)))
        if pieces == 1 { return [body(0..<rows)] }
        return concurrentMap(pieces) { index in body((rows * index / pieces)..<(rows * (index + 1) / pieces)) }
    }

    /// The most pieces ``parallelRows(_:minimumPerPiece:_:)`` cuts rows into: enough to keep any number of
    /// cores busy, few enough that each piece's partial sums cost nothing.
    static let maximumPieces = 64
}
