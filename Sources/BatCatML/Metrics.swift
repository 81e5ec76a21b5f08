#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Regression metrics, as scikit-learn defines them.
public enum RegressionMetrics {
    /// Mean squared error.
    public static func meanSquaredError(_ truth: [Double], _ predicted: [Double]) -> Double {
        zip(truth, predicted).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / Double(max(truth.count, 1))
    }

    /// Root mean squared error.
    public static func rootMeanSquaredError(_ truth: [Double], _ predicted: [Double]) -> Double {
        meanSquaredError(truth, predicted).squareRoot()
    }

    /// Mean absolute error.
    public static func meanAbsoluteError(_ truth: [Double], _ predicted: [Double]) -> Double {
        zip(truth, predicted).reduce(0) { $0 + abs($1.0 - $1.1) } / Double(max(truth.count, 1))
    }

    /// The coefficient of determination, 1 − SSres/SStot (1 for a perfect fit; 0 when the truth is constant and matched).
    public static func r2(_ truth: [Double], _ predicted: [Double]) -> Double {
        let mean = truth.reduce(0, +) / Double(max(truth.count, 1))
        let residual = zip(truth, predicted).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        let total = truth.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        if total == 0 { return residual == 0 ? 1 : 0 }
        return 1 - residual / total
    }

    /// Explained variance, 1 − Var(truth − predicted)/Var(truth).
    public static func explainedVariance(_ truth: [Double], _ predicted: [Double]) -> Double {
        let n = Double(max(truth.count, 1))
        let errors = zip(truth, predicted).map { $0 - $1 }
        let errorMean = errors.reduce(0, +) / n
        let errorVariance = errors.reduce(0) { $0 + ($1 - errorMean) * ($1 - errorMean) } / n
        let mean = truth.reduce(0, +) / n
        let variance = truth.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n
        if variance == 0 { return errorVariance == 0 ? 1 : 0 }
        return 1 - errorVariance / variance
    }
}

/// How per-class scores are combined into one.
public enum Averaging: String, Codable, Sendable, CaseIterable {
    /// The positive class only (the `positive` class given, else the second of two sorted classes).
    case binary
    /// The unweighted mean over classes.
    case macro
    /// The mean over classes weighted by their true counts.
    case weighted
}

/// Classification metrics, as scikit-learn defines them (a score whose denominator is 0 counts as 0).
public enum ClassificationMetrics {
    /// The fraction of rows predicted right.
    public static func accuracy(_ truth: [ClassLabel], _ predicted: [ClassLabel]) -> Double {
        Double(zip(truth, predicted).filter { $0 == $1 }.count) / Double(max(truth.count, 1))
    }

    /// Counts by true class (rows) and predicted class (columns), over `classes` in order.
    public static func confusionMatrix(_ truth: [ClassLabel], _ predicted: [ClassLabel], classes: [ClassLabel]) -> [[Int]] {
        let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        var matrix = [[Int]](repeating: [Int](repeating: 0, count: classes.count), count: classes.count)
        for (t, p) in zip(truth, predicted) {
            guard let i = index[t], let j = index[p] else { continue }
            matrix[i][j] += 1
        }
        return matrix
    }

    private static func perClass(
        _ truth: [ClassLabel], _ predicted: [ClassLabel], classes: [ClassLabel]
    )
        -> (precision: [Double], recall: [Double], f1: [Double], support: [Int])
    {
        let matrix = confusionMatrix(truth, predicted, classes: classes)
        var precision: [Double] = []
        var recall: [Double] = []
        var f1: [Double] = []
        var support: [Int] = []
        for k in classes.indices {
            let truePositive = Double(matrix[k][k])
            let predictedPositive = Double(classes.indices.reduce(0) { $0 + matrix[$1][k] })
            let actual = matrix[k].reduce(0, +)
            let p = predictedPositive == 0 ? 0 : truePositive / predictedPositive
            let r = actual == 0 ? 0 : truePositive / Double(actual)
            precision.append(p)
            recall.append(r)
            f1.append(p + r == 0 ? 0 : 2 * p * r / (p + r))
            support.append(actual)
        }
        return (precision, recall, f1, support)
    }

    private static func combine(_ values: [Double], support: [Int], averaging: Averaging, positive: Int?) -> Double {
        switch averaging {
        case .binary: return positive.map { values[$0] } ?? values.last ?? 0
        case .macro: return values.reduce(0, +) / Double(max(values.count, 1))
        case .weighted:
            let total = Double(support.reduce(0, +))
            return total == 0 ? 0 : zip(values, support).reduce(0) { $0 + $1.0 * Double($1.1) } / total
        }
    }

    /// Precision: of the rows predicted as a class, the fraction that are.
    /// With `.binary`, `positive` names the class scored (default: the last of `classes`).
    public static func precision(
        _ truth: [ClassLabel], _ predicted: [ClassLabel], classes: [ClassLabel], averaging: Averaging, positive: ClassLabel? = nil
    ) -> Double {
        let scores = perClass(truth, predicted, classes: classes)
        return combine(scores.precision, support: scores.support, averaging: averaging, positive: positive.flatMap { classes.firstIndex(of: $0) })
    }

    /// Recall: of the rows of a class, the fraction predicted as it.
    /// With `.binary`, `positive` names the class scored (default: the last of `classes`).
    public static func recall(
        _ truth: [ClassLabel], _ predicted: [ClassLabel], classes: [ClassLabel], averaging: Averaging, positive: ClassLabel? = nil
    ) -> Double {
        let scores = perClass(truth, predicted, classes: classes)
        return combine(scores.recall, support: scores.support, averaging: averaging, positive: positive.flatMap { classes.firstIndex(of: $0) })
    }

    /// F1: the harmonic mean of precision and recall.
    /// With `.binary`, `positive` names the class scored (default: the last of `classes`).
    public static func f1(
        _ truth: [ClassLabel], _ predicted: [ClassLabel], classes: [ClassLabel], averaging: Averaging, positive: ClassLabel? = nil
    ) -> Double {
        let scores = perClass(truth, predicted, classes: classes)
        return combine(scores.f1, support: scores.support, averaging: averaging, positive: positive.flatMap { classes.firstIndex(of: $0) })
    }

    /// Area under the ROC curve: for two classes from the positive class's probability (ties count half);
    /// for more, the unweighted mean of one-vs-rest areas. `nil` when a class is absent from `truth`.
    /// With two classes, `positive` names the class whose probability is the score (default: the second).
    public static func rocAUC(
        _ truth: [ClassLabel], probabilities: [[Double]], classes: [ClassLabel], positive: ClassLabel? = nil
    ) -> Double? {
        if classes.count == 2 {
            let k = positive.flatMap { classes.firstIndex(of: $0) } ?? 1
            return binaryAUC(truth.map { $0 == classes[k] }, probabilities.map { $0[k] })
        }
        var total = 0.0
        for (k, label) in classes.enumerated() {
            guard let area = binaryAUC(truth.map { $0 == label }, probabilities.map { $0[k] }) else { return nil }
            total += area
        }
        return total / Double(classes.count)
    }

    /// The Mann–Whitney form of the AUC, with average ranks for ties.
    static func binaryAUC(_ positive: [Bool], _ scores: [Double]) -> Double? {
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var ranks = [Double](repeating: 0, count: scores.count)
        var start = 0
        while start < order.count {
            var end = start
            while end + 1 < order.count && scores[order[end + 1]] == scores[order[start]] { end += 1 }
            let average = Double(start + end) / 2 + 1
            for position in start...end { ranks[order[position]] = average }
            start = end + 1
        }
        let positives = positive.filter { $0 }.count
        let negatives = positive.count - positives
        guard positives > 0, negatives > 0 else { return nil }
        let rankSum = zip(positive, ranks).reduce(0) { $0 + ($1.0 ? $1.1 : 0) }
        return (rankSum - Double(positives * (positives + 1)) / 2) / Double(positives * negatives)
    }

    /// Mean negative log-likelihood of the true classes, probabilities clipped to [ε, 1 − ε]; `nil` when a
    /// true class is not among `classes` (the model gave it no probability).
    public static func logLoss(_ truth: [ClassLabel], probabilities: [[Double]], classes: [ClassLabel]) -> Double? {
        let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        let epsilon = Double.ulpOfOne
        var total = 0.0
        for (label, row) in zip(truth, probabilities) {
            guard let k = index[label] else { return nil }
            let sum = row.reduce(0, +)
            let p = min(max(row[k] / sum, epsilon), 1 - epsilon)
            total -= log(p)
        }
        return total / Double(max(truth.count, 1))
    }
}
