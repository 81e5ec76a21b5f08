import BatCatData

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Logistic regression with an L2 penalty, binary or multinomial, as scikit-learn's `LogisticRegression`:
/// minimises Σᵢ log-loss + ‖W‖² / (2C), the intercepts unpenalised.
///
/// Two classes use one coefficient vector (the second class is "positive"); more classes use one
/// vector per class and the softmax. Labels are kept as given (`2`/`4`, `benign`/`malignant`) and
/// sorted; probabilities come in that order.
///
/// ## Topics
/// - ``Solver``
/// - ``Fitted``
public struct LogisticRegression: Classifier {
    /// The optimiser.
    public enum Solver: String, Codable, Hashable, Sendable {
        /// Limited-memory BFGS (10 corrections) with a backtracking line search.
        case lbfgs
        /// Newton's method with the exact Hessian; best for few features.
        case newton
    }

    /// Inverse strength of the L2 penalty: smaller is stronger.
    public var c = 1.0
    /// The optimiser.
    public var solver: Solver = .lbfgs
    /// The most iterations.
    public var maxIterations = 100
    /// Converged when the largest gradient component, divided by the row count, is below this.
    public var tolerance = 1e-4
    /// Whether to fit intercepts.
    public var fitIntercept = true

    /// Defaults as scikit-learn's: C = 1, L-BFGS, 100 iterations, tolerance 1e-4.
    public init(c: Double = 1.0, solver: Solver = .lbfgs, maxIterations: Int = 100, tolerance: Double = 1e-4, fitIntercept: Bool = true) {
        self.c = c
        self.solver = solver
        self.maxIterations = maxIterations
        self.tolerance = tolerance
        self.fitIntercept = fitIntercept
    }

    /// A fitted logistic model.
    public struct Fitted: FittedClassifier {
        /// The labels, sorted.
        public var classes: [ClassLabel]
        /// One coefficient row for two classes (the second class's log-odds), else one per class.
        public var coefficients: [[Double]]
        /// One intercept per coefficient row.
        public var intercepts: [Double]
        /// Iterations the optimiser ran.
        public var iterationsRun: Int
        /// Whether the optimiser converged: the gradient fell below the tolerance, or (L-BFGS) the objective
        /// stopped decreasing, by a relative reduction below 64 machine epsilons, as SciPy's L-BFGS-B does for scikit-learn.
        public var converged: Bool
        /// The largest gradient component, divided by the row count, where the optimiser stopped.
        public var remainingGradient: Double?

        /// How many features a row must have.
        public var featureCount: Int { coefficients.first?.count ?? 0 }

        /// The probability of each class for every row.
        public func predictProbabilities(_ x: Matrix) throws(MLError) -> Matrix {
            try checkWidth(x, featureCount)
            let k = classes.count
            var out = [Double](repeating: 0, count: x.rows * k)
            var scores = [Double](repeating: 0, count: coefficients.count)
            for row in 0..<x.rows {
                for r in 0..<coefficients.count {
                    var z = intercepts[r]
                    let w = coefficients[r]
                    for j in 0..<x.columns { z += w[j] * x.values[row * x.columns + j] }
                    scores[r] = z
                }
                if k == 2 {
                    let positive = LogisticMath.sigmoid(scores[0])
                    out[row * 2] = 1 - positive
                    out[row * 2 + 1] = positive
                } else {
                    LogisticMath.softmax(scores, into: &out, at: row * k)
                }
            }
            return Matrix(rows: x.rows, columns: k, values: out)
        }
    }

    /// Fits the model.
    public func fit(_ x: Matrix, _ y: [ClassLabel]) throws(MLError) -> Fitted {
        guard c > 0, c.isFinite else { throw MLError(.invalidHyperparameter, "C must be a positive number, not \(c)") }
        guard maxIterations >= 1 else { throw MLError(.invalidHyperparameter, "maxIterations must be at least 1") }
        guard tolerance > 0 else { throw MLError(.invalidHyperparameter, "tolerance must be positive, not \(tolerance)") }
        try checkTrainingData(.matrix(x), targetCount: y.count)
        let classes = Array(Set(y)).sorted()
        guard classes.count >= 2 else {
            throw MLError(
                .invalidData, "the target has only one class (\(classes.first?.description ?? "none")); a classifier needs at least two",
                hints: ["check the target column and the split"])
        }
        let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        let labels = y.map { index[$0]! }
        let problem = LogisticProblem(
            x: x, labels: labels, classCount: classes.count, penalty: 1 / c, fitIntercept: fitIntercept)
        var theta = [Double](repeating: 0, count: problem.parameterCount)
        let outcome: Optimiser.Outcome
        switch solver {
        case .lbfgs: outcome = Optimiser.lbfgs(problem, &theta, maxIterations: maxIterations, tolerance: tolerance)
        case .newton: outcome = Optimiser.newton(problem, &theta, maxIterations: maxIterations, tolerance: tolerance)
        }
        guard theta.allSatisfy(\.isFinite) else {
            throw MLError(.notConverged, "logistic regression produced non-finite coefficients", hints: ["scale the features, or lower C"])
        }
        let rows = problem.rowCount
        let width = x.columns + 1
        return Fitted(
            classes: classes,
            coefficients: (0..<rows).map { Array(theta[$0 * width..<$0 * width + x.columns]) },
            intercepts: (0..<rows).map { theta[$0 * width + x.columns] },
            iterationsRun: outcome.iterations, converged: outcome.converged, remainingGradient: outcome.remainingGradient)
    }
}

enum LogisticMath {
    @inline(__always)
    static func sigmoid(_ z: Double) -> Double {
        z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z))
    }

    /// log(1 + eᶻ) without overflow.
    @inline(__always)
    static func softplus(_ z: Double) -> Double {
        z > 0 ? z + log1p(exp(-z)) : log1p(exp(z))
    }

    static func softmax(_ scores: [Double], into out: inout [Double], at offset: Int) {
        let top = scores.max() ?? 0
        var total = 0.0
        for (k, score) in scores.enumerated() {
            let e = exp(score - top)
            out[offset + k] = e
            total += e
        }
        for k in 0..<scores.count { out[offset + k] /= total }
    }
}

/// The penalised log-loss of a logistic model, its gradient and Hessian, computed in parallel over rows.
/// Parameters are laid out as coefficient rows of (features…, intercept).
struct LogisticProblem: @unchecked Sendable {
    let x: Matrix
    let labels: [Int]
    let classCount: Int
    let penalty: Double
    let fitIntercept: Bool

    var rowCount: Int { classCount == 2 ? 1 : classCount }
    var width: Int { x.columns + 1 }
    var parameterCount: Int { rowCount * width }

    /// The objective and its gradient at `theta`.
    func evaluate(_ theta: [Double]) -> (value: Double, gradient: [Double]) {
        let p = x.columns
        let r = rowCount
        let w = width
        let values = x.values
        let labels = self.labels
        let partials = LinearAlgebra.parallelRows(x.rows, minimumPerPiece: 20_000) { range -> (Double, [Double]) in
            var value = 0.0
            var gradient = [Double](repeating: 0, count: r * w)
            var scores = [Double](repeating: 0, count: r)
            values.withUnsafeBufferPointer { v in
                theta.withUnsafeBufferPointer { t in
                    gradient.withUnsafeMutableBufferPointer { g in
                        scores.withUnsafeMutableBufferPointer { s in
                            for row in range {
                                let base = row * p
                                for k in 0..<r {
                                    var z = t[k * w + p]
                                    for j in 0..<p { z += t[k * w + j] * v[base + j] }
                                    s[k] = z
                                }
                                let label = labels[row]
                                if r == 1 {
                                    let z = s[0]
                                    value += LogisticMath.softplus(z) - (label == 1 ? z : 0)
                                    let residual = LogisticMath.sigmoid(z) - (label == 1 ? 1 : 0)
                                    for j in 0..<p { g[j] += residual * v[base + j] }
                                    g[p] += residual
                                } else {
                                    var top = s[0]
                                    for k in 1..<r { top = max(top, s[k]) }
                                    var total = 0.0
                                    for k in 0..<r { total += exp(s[k] - top) }
                                    value += log(total) + top - s[label]
                                    for k in 0..<r {
                                        let residual = exp(s[k] - top) / total - (k == label ? 1 : 0)
                                        for j in 0..<p { g[k * w + j] += residual * v[base + j] }
                                        g[k * w + p] += residual
                                    }
                                }
                            }
                        }
                    }
                }
            }
            return (value, gradient)
        }
        var value = 0.0
        var gradient = [Double](repeating: 0, count: r * w)
        for (v, g) in partials {
            value += v
            for index in gradient.indices { gradient[index] += g[index] }
        }
        for k in 0..<r {
            for j in 0..<p {
                let coefficient = theta[k * w + j]
                value += 0.5 * penalty * coefficient * coefficient
                gradient[k * w + j] += penalty * coefficient
            }
            if !fitIntercept { gradient[k * w + p] = 0 }
        }
        return (value, gradient)
    }

    /// The Hessian at `theta` (full, row-major, size parameterCount²).
    func hessian(_ theta: [Double]) -> [Double] {
        let p = x.columns
        let r = rowCount
        let w = width
        let size = r * w
        let values = x.values
        let partials = LinearAlgebra.parallelRows(x.rows, minimumPerPiece: 20_000) { range -> [Double] in
            var h = [Double](repeating: 0, count: size * size)
            var z = [Double](repeating: 1, count: w)
            var scores = [Double](repeating: 0, count: r)
            var probabilities = [Double](repeating: 0, count: r)
            values.withUnsafeBufferPointer { v in
                h.withUnsafeMutableBufferPointer { h in
                    for row in range {
                        let base = row * p
                        for j in 0..<p { z[j] = v[base + j] }
                        for k in 0..<r {
                            var s = theta[k * w + p]
                            for j in 0..<p { s += theta[k * w + j] * z[j] }
                            scores[k] = s
                        }
                        if r == 1 {
                            let q = LogisticMath.sigmoid(scores[0])
                            let weight = q * (1 - q)
                            for a in 0..<w { for b in a..<w { h[a * size + b] += weight * z[a] * z[b] } }
                        } else {
                            let top = scores.max()!
                            var total = 0.0
                            for k in 0..<r {
                                probabilities[k] = exp(scores[k] - top)
                                total += probabilities[k]
                            }
                            for k in 0..<r { probabilities[k] /= total }
                            for k in 0..<r {
                                for l in k..<r {
                                    let weight = probabilities[k] * ((k == l ? 1 : 0) - probabilities[l])
                                    for a in 0..<w {
                                        for b in 0..<w where k * w + a <= l * w + b {
                                            h[(k * w + a) * size + l * w + b] += weight * z[a] * z[b]
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            return h
        }
        var h = [Double](repeating: 0, count: size * size)
        for partial in partials { for index in h.indices { h[index] += partial[index] } }
        for i in 0..<size { for j in 0..<i { h[i * size + j] = h[j * size + i] } }
        for k in 0..<r {
            for j in 0..<p { h[(k * w + j) * size + k * w + j] += penalty }
            if !fitIntercept {
                for other in 0..<size {
                    h[(k * w + p) * size + other] = 0
                    h[other * size + k * w + p] = 0
                }
                h[(k * w + p) * size + k * w + p] = 1
            }
        }
        return h
    }
}

/// Unconstrained minimisers for smooth convex objectives.
enum Optimiser {
    /// Where an optimiser stopped.
    struct Outcome {
        var iterations: Int
        var converged: Bool
        /// The largest gradient component, divided by the row count.
        var remainingGradient: Double
    }

    /// The stopping test on the objective: a relative reduction of at most this stops L-BFGS as converged
    /// (scikit-learn asks SciPy's L-BFGS-B for `ftol = 64 · ε`).
    static let relativeReduction = 64 * Double.ulpOfOne

    private static func scaledGradient(_ gradient: [Double], rows: Int) -> Double {
        (gradient.map { abs($0) }.max() ?? 0) / Double(max(rows, 1))
    }

    private static func converged(_ gradient: [Double], rows: Int, tolerance: Double) -> Bool {
        scaledGradient(gradient, rows: rows) <= tolerance
    }

    private static func outcome(_ iterations: Int, _ gradient: [Double], rows: Int, tolerance: Double, converged: Bool? = nil) -> Outcome {
        let remaining = scaledGradient(gradient, rows: rows)
        return Outcome(iterations: iterations, converged: converged ?? (remaining <= tolerance), remainingGradient: remaining)
    }

    /// Backtracking line search along `direction`; returns the accepted point and its evaluation.
    private static func lineSearch(
        _ problem: LogisticProblem, _ theta: [Double], _ value: Double, _ gradient: [Double], _ direction: [Double], initialStep: Double
    ) -> (theta: [Double], value: Double, gradient: [Double])? {
        let slope = zip(gradient, direction).reduce(0) { $0 + $1.0 * $1.1 }
        guard slope < 0 else { return nil }
        var step = initialStep
        for _ in 0..<60 {
            let candidate = zip(theta, direction).map { $0 + step * $1 }
            let (candidateValue, candidateGradient) = problem.evaluate(candidate)
            if candidateValue.isFinite && candidateValue <= value + 1e-4 * step * slope {
                return (candidate, candidateValue, candidateGradient)
            }
            step *= 0.5
        }
        return nil
    }

    static func lbfgs(_ problem: LogisticProblem, _ theta: inout [Double], maxIterations: Int, tolerance: Double) -> Outcome {
        let memory = 10
        var (value, gradient) = problem.evaluate(theta)
        var s: [[Double]] = []
        var y: [[Double]] = []
        for iteration in 1...maxIterations {
            if converged(gradient, rows: problem.x.rows, tolerance: tolerance) {
                return outcome(iteration - 1, gradient, rows: problem.x.rows, tolerance: tolerance)
            }
            // Two-loop recursion for the search direction.
            var q = gradient
            var alphas: [Double] = []
            var rhos: [Double] = []
            for index in stride(from: s.count - 1, through: 0, by: -1) {
                let rho = 1 / zip(y[index], s[index]).reduce(0) { $0 + $1.0 * $1.1 }
                let alpha = rho * zip(s[index], q).reduce(0) { $0 + $1.0 * $1.1 }
                for j in q.indices { q[j] -= alpha * y[index][j] }
                alphas.append(alpha)
                rhos.append(rho)
            }
            if let lastS = s.last, let lastY = y.last {
                let gamma = zip(lastS, lastY).reduce(0) { $0 + $1.0 * $1.1 } / lastY.reduce(0) { $0 + $1 * $1 }
                for j in q.indices { q[j] *= gamma }
            } else {
                let norm = (gradient.map { abs($0) }.max() ?? 1)
                for j in q.indices { q[j] /= max(norm, 1) }
            }
            for (position, index) in (0..<s.count).enumerated() {
                let reverse = s.count - 1 - position
                let beta = rhos[reverse] * zip(y[index], q).reduce(0) { $0 + $1.0 * $1.1 }
                for j in q.indices { q[j] += s[index][j] * (alphas[reverse] - beta) }
            }
            let direction = q.map { -$0 }
            guard let accepted = lineSearch(problem, theta, value, gradient, direction, initialStep: 1) else {
                return outcome(iteration, gradient, rows: problem.x.rows, tolerance: tolerance)
            }
            let step = zip(accepted.theta, theta).map { $0 - $1 }
            let change = zip(accepted.gradient, gradient).map { $0 - $1 }
            if zip(step, change).reduce(0, { $0 + $1.0 * $1.1 }) > 1e-12 {
                s.append(step)
                y.append(change)
                if s.count > memory {
                    s.removeFirst()
                    y.removeFirst()
                }
            }
            let reduction = (value - accepted.value) / max(abs(value), abs(accepted.value), 1)
            theta = accepted.theta
            value = accepted.value
            gradient = accepted.gradient
            if reduction <= relativeReduction {
                return outcome(iteration, gradient, rows: problem.x.rows, tolerance: tolerance, converged: true)
            }
        }
        return outcome(maxIterations, gradient, rows: problem.x.rows, tolerance: tolerance)
    }

    static func newton(_ problem: LogisticProblem, _ theta: inout [Double], maxIterations: Int, tolerance: Double) -> Outcome {
        var (value, gradient) = problem.evaluate(theta)
        let size = problem.parameterCount
        for iteration in 1...maxIterations {
            if converged(gradient, rows: problem.x.rows, tolerance: tolerance) {
                return outcome(iteration - 1, gradient, rows: problem.x.rows, tolerance: tolerance)
            }
            var h = problem.hessian(theta)
            // A whisper of damping: the multinomial intercepts are only defined up to a common shift.
            var trace = 0.0
            for i in 0..<size { trace += h[i * size + i] }
            for i in 0..<size { h[i * size + i] += 1e-10 * max(trace / Double(size), 1e-12) }
            guard case .success(let l) = LinearAlgebra.cholesky(h, size: size, tolerance: 1e-14) else {
                return outcome(iteration, gradient, rows: problem.x.rows, tolerance: tolerance, converged: false)
            }
            let direction = LinearAlgebra.choleskySolve(l, size: size, gradient).map { -$0 }
            guard let accepted = lineSearch(problem, theta, value, gradient, direction, initialStep: 1) else {
                return outcome(iteration, gradient, rows: problem.x.rows, tolerance: tolerance)
            }
            theta = accepted.theta
            value = accepted.value
            gradient = accepted.gradient
        }
        return outcome(maxIterations, gradient, rows: problem.x.rows, tolerance: tolerance)
    }
}

// MARK: - The estimator seam

extension LogisticRegression.Fitted: TrainedModel {
    public static let modelTypeName = "logistic"
    public static let predictionLayout = InputLayout.matrix
    public var classLabels: [ClassLabel]? { classes }

    public var convergence: Convergence? {
        Convergence(converged: converged, iterations: iterationsRun, remaining: remainingGradient, measure: "the largest gradient component per row")
    }

    public func predict(_ x: Design) throws(MLError) -> Predictions {
        let probabilities = try predictProbabilities(x.matrix())
        var labels: [ClassLabel] = []
        labels.reserveCapacity(probabilities.rows)
        for row in 0..<probabilities.rows {
            var best = 0
            for k in 1..<probabilities.columns where probabilities[row, k] > probabilities[row, best] { best = k }
            labels.append(classes[best])
        }
        return Predictions(labels: labels, probabilities: probabilities, classes: classes)
    }

    public var rowFormula: CompiledPipeline.Formula? { .logistic(weights: coefficients, intercepts: intercepts) }
}

extension LogisticRegression: EstimatorKind {
    public static let typeName = "logisticRegression"
    public static let summary = "logistic regression, binary or multinomial, L2 penalty (C)"
    public static let settingsSummary = "`c` (1), `solver` (lbfgs or newton), `maxIterations` (100), `tolerance` (1e-4), `fitIntercept`"
    public static let predictsClasses = true
    public static let trainingLayout = InputLayout.matrix
    public var specName: String { "logisticRegression (\(solver.rawValue))" }
    public var label: String { "logistic-regression (\(solver.rawValue), C \(c))" }

    public func fit(_ x: Design, target: TrainingTarget) throws(MLError) -> Fitted {
        try fit(x.matrix(), try target.labels(for: Self.typeName))
    }
}

// MARK: - Spec decoding

extension LogisticRegression {
    /// Decodes from a spec; every setting optional.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.settings("logisticRegression", allowed: ["c", "solver", "maxIterations", "tolerance", "fitIntercept"])
        self.init(
            c: try c.value("c", default: 1.0), solver: try c.value("solver", default: .lbfgs),
            maxIterations: try c.value("maxIterations", default: 100),
            tolerance: try c.value("tolerance", default: 1e-4), fitIntercept: try c.value("fitIntercept", default: true))
    }
}
