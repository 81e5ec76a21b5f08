import BatCatData
import Foundation

/// A k-d tree over the training rows of a nearest-neighbour model: nodes split the rows at the median of the
/// feature that spreads widest, and each node keeps the box that bounds its rows, so a search skips every node
/// whose box lies farther than the k-th nearest row found so far.
///
/// It finds exactly the rows a brute-force search finds: the same distance function, the k smallest by
/// (distance, training order), and a box is skipped only when strictly farther, so an equally near row with a
/// smaller index is never missed. Built at fit and stored in the artifact (the row order and the nodes), so a
/// loaded model searches without building anything.
public struct KDTree: Codable, Equatable, Sendable {
    /// The rows in tree order: node `n` holds `order[start[n]..<end[n]]`.
    public var order: [Int]
    /// Each node's first row in ``order``.
    public var start: [Int]
    /// Each node's end in ``order``.
    public var end: [Int]
    /// Each node's children, `-1` for a leaf.
    public var left: [Int]
    /// Each node's right child, `-1` for a leaf.
    public var right: [Int]
    /// Each node's bounding box, `features` lows then `features` highs per node.
    public var bounds: [Double]

    /// Rows a leaf holds at most.
    static let leafSize = 32

    /// Builds the tree over `rows` (row-major, `features` wide).
    init(rows: [Double], features: Int) {
        let count = features == 0 ? 0 : rows.count / features
        order = Array(0..<count)
        start = []
        end = []
        left = []
        right = []
        bounds = []
        guard count > 0 else { return }
        _ = build(0, count, rows: rows, features: features)
    }

    /// Makes the node for `order[from..<to]` and its subtree; returns its index.
    private mutating func build(_ from: Int, _ to: Int, rows: [Double], features: Int) -> Int {
        let node = start.count
        start.append(from)
        end.append(to)
        left.append(-1)
        right.append(-1)
        var low = [Double](repeating: .infinity, count: features)
        var high = [Double](repeating: -.infinity, count: features)
        for position in from..<to {
            let base = order[position] * features
            for j in 0..<features {
                low[j] = min(low[j], rows[base + j])
                high[j] = max(high[j], rows[base + j])
            }
        }
        bounds += low
        bounds += high
        guard to - from > KDTree.leafSize else { return node }
        var widest = 0
        for j in 1..<max(features, 1) where high[j] - low[j] > high[widest] - low[widest] { widest = j }
        guard high[widest] > low[widest] else { return node }
        // The median by the widest feature (training order breaks ties, so the tree is the same on every run), found
        // by selection: the rows below it come first, the rest after, neither half sorted.
        let middle = (from + to) / 2
        order.withUnsafeMutableBufferPointer { all in
            quickselect(UnsafeMutableBufferPointer(rebasing: all[from..<to]), middle - from) { a, b in
                let (x, y) = (rows[a * features + widest], rows[b * features + widest])
                return x < y || (x == y && a < b)
            }
        }
        let leftChild = build(from, middle, rows: rows, features: features)
        let rightChild = build(middle, to, rows: rows, features: features)
        left[node] = leftChild
        right[node] = rightChild
        return node
    }

    /// The `k` nearest rows to `query` (indices and distances, nearest first, equal distances in training order).
    func nearest(
        _ query: UnsafePointer<Double>, k: Int, search: NeighborSearch, rows: UnsafeBufferPointer<Double>
    ) -> (indices: [Int], distances: [Double]) {
        var best: [(Double, Int)] = []
        best.reserveCapacity(k + 1)
        let features = search.featureCount
        func consider(_ index: Int) {
            let d = search.distance(query, rows.baseAddress! + index * features)
            if best.count == k {
                let worst = best[k - 1]
                guard d < worst.0 || (d == worst.0 && index < worst.1) else { return }
            }
            var at = best.count
            while at > 0 && (best[at - 1].0 > d || (best[at - 1].0 == d && best[at - 1].1 > index)) { at -= 1 }
            best.insert((d, index), at: at)
            if best.count > k { best.removeLast() }
        }
        var stack = [(node: 0, bound: 0.0)]
        while let (node, bound) = stack.popLast() {
            if best.count == k && bound > best[k - 1].0 { continue }
            if left[node] < 0 {
                for position in start[node]..<end[node] { consider(order[position]) }
                continue
            }
            let a = boxDistance(query, node: left[node], search: search)
            let b = boxDistance(query, node: right[node], search: search)
            // The nearer child is searched first: pushed last.
            if a <= b {
                stack.append((right[node], b))
                stack.append((left[node], a))
            } else {
                stack.append((left[node], a))
                stack.append((right[node], b))
            }
        }
        return (best.map(\.1), best.map(\.0))
    }

    /// The least distance from `query` to any point of the node's box, in the search's metric.
    private func boxDistance(_ query: UnsafePointer<Double>, node: Int, search: NeighborSearch) -> Double {
        let features = search.featureCount
        let base = node * 2 * features
        var sum = 0.0
        for j in 0..<features {
            let q = query[j]
            let gap = max(bounds[base + j] - q, 0, q - bounds[base + features + j])
            switch search.metric {
            case .manhattan, .minkowski where search.p == 1: sum += gap
            case .minkowski where search.p != 2: sum += pow(gap, search.p)
            default: sum += gap * gap
            }
        }
        switch search.metric {
        case .manhattan, .minkowski where search.p == 1: return sum
        case .minkowski where search.p != 2: return pow(sum, 1 / search.p)
        default: return sum.squareRoot()
        }
    }
}
