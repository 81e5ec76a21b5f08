import BatCatData

/// Ordinary least squares: the coefficients that minimise the squared error.
///
/// Two solvers:
/// - `normal` solves the normal equations on centred data by Cholesky factorisation, and refuses a
///   design matrix whose columns depend on each other (naming the column).
/// - `gradientDescent` runs full-batch gradient descent on the mean squared error,
///   θ ← θ − η · (2/n) Xᵀ(Xθ − y), keeping the loss of every iteration. Each step is computed from the
///   Gram matrix [X 1]ᵀ[X 1] and [X 1]ᵀy, formed once in one pass over the data, so an iteration costs
///   O(p²) instead of a pass over all rows; the iterates are the same as the row-by-row formula's.
///
/// ## Topics
/// - ``Solver``
/// - ``Fitted``
public struct LinearRegression: Regressor {
    /// How the coefficients are found.
    public enum Solver: String, Codable, Hashable, Sendable {
        /// Normal equations with Cholesky factorisation.
        case normal
        /// Full-batch gradient descent.
        case gradientDescent
    }

    /// How the coefficients are found.
    public var solver: Solver = .normal
    /// Whether to fit an intercept.
    public var fitIntercept = true
    /// Gradient descent's step size η.
    public var learningRate = 0.01
    /// Gradient descent's number of iterations.
    public var iterations = 1000
    /// Gradient descent stops early when an iteration improves the loss by less than this fraction.
    public var tolerance = 0.0
    /// Gradient descent's starting coefficients (zeros when `nil`); one per feature.
    public var initialWeights: [Double]?
    /// Gradient descent's starting intercept (0 when `nil`).
    public var initialIntercept: Double?

    /// Defaults: the normal solver, with an intercept.
    public init(
        solver: Solver = .normal, fitIntercept: Bool = true, learningRate: Double = 0.01, iterations: Int = 1000,
        tolerance: Double = 0, initialWeights: [Double]? = nil, initialIntercept: Double? = nil
    ) {
        self.solver = solver
        self.fitIntercept = fitIntercept
        self.learningRate = learningRate
        self.iterations = iterations
        self.tolerance = tolerance
        self.initialWeights = initialWeights
        self.initialIntercept = initialIntercept
    }

    /// A fitted linear model: ŷ = x · coefficients + intercept.
    public struct Fitted: FittedRegressor {
        /// One coefficient per feature.
        public var coefficients: [Double]
        /// The intercept (0 without one).
        public var intercept: Double
        /// Gradient descent's mean squared error after each iteration (at most 1,000 points, evenly thinned).
        public var lossHistory: [Double]?
        /// How many iterations gradient descent or coordinate descent (lasso) ran.
        public var iterationsRun: Int?
        /// Lasso: whether coordinate descent met its tolerance before `maxIterations` (`nil` for closed-form solvers).
        public var converged: Bool?
        /// Lasso: the largest coefficient change of the last pass, relative to the largest coefficient.
        public var remainingChange: Double?

        /// A fitted model with these coefficients.
        public init(
            coefficients: [Double], intercept: Double, lossHistory: [Double]? = nil, iterationsRun: Int? = nil, converged: Bool? = nil,
            remainingChange: Double? = nil
        ) {
            self.coefficients = coefficients
            self.intercept = intercept
            self.lossHistory = lossHistory
            self.iterationsRun = iterationsRun
            self.converged = converged
            self.remainingChange = remainingChange
        }

        /// How many features a row must have.
        public var featureCount: Int { coefficients.count }

        /// ŷ for every row.
        public func predict(_ x: Matrix) throws(MLError) -> [Double] {
            try checkWidth(x, coefficients.count)
            return LinearAlgebra.predict(x, weights: coefficients, intercept: intercept)
        }
    }

    /// Fits the model.
    public func fit(_ x: Matrix, _ y: [Double]) throws(MLError) -> Fitted {
        try fit(.matrix(x), y)
    }

    /// Fits the model on a matrix or on columns.
    func fit(_ x: Design, _ y: [Double]) throws(MLError) -> Fitted {
        try checkTrainingData(x, targetCount: y.count, finite: false)
        try checkTarget(y)
        switch solver {
        case .normal:
            let (coefficients, intercept) = try LinearModelSolver.ridge(x, y, alpha: 0, fitIntercept: fitIntercept)
            return Fitted(coefficients: coefficients, intercept: intercept)
        case .gradientDescent:
            return try gradientDescent(x, y)
        }
    }

    private func gradientDescent(_ x: Design, _ y: [Double]) throws(MLError) -> Fitted {
        guard learningRate > 0, learningRate.isFinite else {
            throw MLError(.invalidHyperparameter, "learningRate must be a positive number, not \(learningRate)")
        }
        guard iterations >= 1 else { throw MLError(.invalidHyperparameter, "iterations must be at least 1, not \(iterations)") }
        guard tolerance >= 0 else { throw MLError(.invalidHyperparameter, "tolerance must be 0 or more, not \(tolerance)") }
        let p = x.columns
        if let initialWeights, initialWeights.count != p {
            throw MLError(
                .invalidHyperparameter, "initialWeights has \(initialWeights.count) values but there are \(p) features",
                hints: ["give one starting weight per feature, or leave initialWeights out"])
        }
        let (gram, cross, yy) = try LinearAlgebra.augmentedGram(x, y: y)
        let size = p + 1
        let n = Double(x.rows)
        guard (initialIntercept ?? 0).isFinite, (initialWeights ?? []).allSatisfy(\.isFinite) else {
            throw MLError(.invalidHyperparameter, "initialWeights and initialIntercept must be finite numbers")
        }
        var theta = (initialWeights ?? [Double](repeating: 0, count: p)) + [fitIntercept ? (initialIntercept ?? 0) : 0]
        func loss(_ theta: [Double]) -> Double {
            var quadratic = 0.0
            var linear = 0.0
            for i in 0..<size {
                var row = 0.0
                for j in 0..<size { row += gram[i * size + j] * theta[j] }
                quadratic += theta[i] * row
                linear += theta[i] * cross[i]
            }
            return max(0, (quadratic - 2 * linear + yy) / n)
        }
        var history: [Double] = []
        var previous = loss(theta)
        let first = previous
        var ran = 0
        var gradient = [Double](repeating: 0, count: size)
        for iteration in 1...iterations {
            for i in 0..<size {
                var row = 0.0
                for j in 0..<size { row += gram[i * size + j] * theta[j] }
                gradient[i] = 2 / n * (row - cross[i])
            }
            if !fitIntercept { gradient[p] = 0 }
            for i in 0..<size { theta[i] -= learningRate * gradient[i] }
            let current = loss(theta)
            history.append(current)
            ran = iteration
            guard current.isFinite, current <= max(first, 1) * 1e12 else {
                throw MLError(
                    .diverged,
                    "gradient descent diverged at iteration \(iteration): the loss grew to \(current.isFinite ? String(current) : "infinity")",
                    hints: ["lower learningRate (now \(learningRate)), or scale the features first (StandardScaler)"])
            }
            if tolerance > 0 && abs(previous - current) <= tolerance * max(previous, .leastNormalMagnitude) { break }
            previous = current
        }
        let stride = max(1, (history.count + 999) / 1000)
        let thinned = Swift.stride(from: stride - 1, to: history.count, by: stride).map { history[$0] }
        return Fitted(coefficients: Array(theta[0..<p]), intercept: theta[p], lossHistory: thinned, iterationsRun: ran)
    }
}

/// Least squares with an L2 penalty α‖w‖² on the coefficients (not the intercept).
public struct Ridge: Regressor {
    /// The penalty's strength; 0 is ordinary least squares.
    public var alpha = 1.0
    /// Whether to fit an intercept.
    public var fitIntercept = true

    /// Defaults as scikit-learn's: α = 1, with an intercept.
    public init(alpha: Double = 1.0, fitIntercept: Bool = true) {
        self.alpha = alpha
        self.fitIntercept = fitIntercept
    }

    /// Fits the model.
    public func fit(_ x: Matrix, _ y: [Double]) throws(MLError) -> LinearRegression.Fitted {
        try fit(.matrix(x), y)
    }

    /// Fits the model on a matrix or on columns.
    func fit(_ x: Design, _ y: [Double]) throws(MLError) -> LinearRegression.Fitted {
        guard alpha >= 0, alpha.isFinite else { throw MLError(.invalidHyperparameter, "alpha must be 0 or more, not \(alpha)") }
        try checkTrainingData(x, targetCount: y.count, finite: false)
        try checkTarget(y)
        let (coefficients, intercept) = try LinearModelSolver.ridge(x, y, alpha: alpha, fitIntercept: fitIntercept)
        return LinearRegression.Fitted(coefficients: coefficients, intercept: intercept)
    }
}

/// Least squares with an L1 penalty, by cyclic coordinate descent:
/// minimises (1/2n)‖y − Xw − b‖² + α‖w‖₁, as scikit-learn's `Lasso` does.
public struct Lasso: Regressor {
    /// The penalty's strength.
    public var alpha = 1.0
    /// Whether to fit an intercept.
    public var fitIntercept = true
    /// The most passes over the coefficients.
    public var maxIterations = 1000
    /// Stop when the largest coefficient change is below this fraction of the largest coefficient.
    public var tolerance = 1e-4

    /// Defaults as scikit-learn's.
    public init(alpha: Double = 1.0, fitIntercept: Bool = true, maxIterations: Int = 1000, tolerance: Double = 1e-4) {
        self.alpha = alpha
        self.fitIntercept = fitIntercept
        self.maxIterations = maxIterations
        self.tolerance = tolerance
    }

    /// Fits the model.
    public func fit(_ x: Matrix, _ y: [Double]) throws(MLError) -> LinearRegression.Fitted {
        try fit(.matrix(x), y)
    }

    /// Fits the model on a matrix or on columns.
    func fit(_ x: Design, _ y: [Double]) throws(MLError) -> LinearRegression.Fitted {
        guard alpha >= 0, alpha.isFinite else { throw MLError(.invalidHyperparameter, "alpha must be 0 or more, not \(alpha)") }
        guard maxIterations >= 1 else { throw MLError(.invalidHyperparameter, "maxIterations must be at least 1") }
        try checkTrainingData(x, targetCount: y.count, finite: false)
        try checkTarget(y)
        let p = x.columns
        let n = Double(x.rows)
        let (gram, cross, means, yMean) = try LinearAlgebra.centredGram(x, y: y, centre: fitIntercept)
        var w = [Double](repeating: 0, count: p)
        let threshold = alpha * n
        var iteration = 0
        var converged = false
        var remaining = Double.infinity
        while iteration < maxIterations {
            iteration += 1
            var maxChange = 0.0
            var maxWeight = 0.0
            for j in 0..<p {
                let diagonal = gram[j * p + j]
                guard diagonal > 0 else {
                    w[j] = 0
                    continue
                }
                var rho = cross[j]
                for k in 0..<p where k != j { rho -= gram[j * p + k] * w[k] }
                let updated = rho > threshold ? (rho - threshold) / diagonal : (rho < -threshold ? (rho + threshold) / diagonal : 0)
                maxChange = max(maxChange, abs(updated - w[j]))
                w[j] = updated
                maxWeight = max(maxWeight, abs(updated))
            }
            remaining = maxWeight == 0 ? 0 : maxChange / maxWeight
            if maxWeight == 0 || remaining < tolerance {
                converged = true
                break
            }
        }
        var intercept = 0.0
        if fitIntercept {
            intercept = yMean
            for j in 0..<p { intercept -= w[j] * means[j] }
        }
        return LinearRegression.Fitted(
            coefficients: w, intercept: intercept, iterationsRun: iteration, converged: converged, remainingChange: remaining)
    }
}

/// Shared solver for least squares and ridge, and the target check.
enum LinearModelSolver {
    /// The largest condition number of the (penalised, centred) Gram matrix for which the normal equations are
    /// trusted: their error grows with it (about κ · ε relative), so past 1e8 a QR factorisation of the data
    /// itself takes over, whose error grows with √κ.
    static let normalEquationsLimit = 1e8

    /// Solves (XcᵀXc + αI) w = Xcᵀyc on centred data (or raw data without an intercept): by Cholesky when the
    /// Gram matrix is well conditioned, else by Householder QR of [Xc; √α I], which keeps the accuracy the
    /// normal equations lose on a nearly collinear design.
    static func ridge(_ x: Design, _ y: [Double], alpha: Double, fitIntercept: Bool) throws(MLError) -> ([Double], Double) {
        let p = x.columns
        var (gram, cross, means, yMean) = try LinearAlgebra.centredGram(x, y: y, centre: fitIntercept)
        for j in 0..<p { gram[j * p + j] += alpha }
        let w: [Double]
        switch LinearAlgebra.cholesky(gram, size: p) {
        case .success(let l) where LinearAlgebra.conditionEstimate(choleskyFactor: l, size: p) <= normalEquationsLimit:
            w = LinearAlgebra.choleskySolve(l, size: p, cross)
        default:
            let shift = fitIntercept ? means : [Double](repeating: 0, count: p)
            switch LinearAlgebra.leastSquaresQR(x, y, shift: shift, yShift: fitIntercept ? yMean : 0, alpha: alpha) {
            case .success(let solution): w = solution
            case .failure(let dependent):
                let constant = gram[dependent.index * p + dependent.index] - alpha <= 1e-12 * max(1, abs(means[dependent.index]))
                throw MLError(
                    .singularMatrix,
                    constant
                        ? "feature \(x.describeColumn(dependent.index)) is constant, so its coefficient cannot be determined"
                        : "feature \(x.describeColumn(dependent.index)) is a linear combination of the features before it, so the least-squares solution is not unique",
                    hints: [
                        "drop the feature, or use Ridge (alpha > 0) or the gradientDescent solver, which accept dependent features"
                    ])
            }
        }
        var intercept = yMean
        for j in 0..<p { intercept -= w[j] * means[j] }
        return (w, fitIntercept ? intercept : 0)
    }
}

/// A regression target must be finite numbers.
func checkTarget(_ y: [Double]) throws(MLError) {
    if let row = Design.firstNonFinite(in: y) {
        throw MLError(
            .invalidData, "the target is missing or not finite in row \(row + 1)",
            hints: ["drop the rows whose target is missing before training; a model cannot learn from them"])
    }
}

// MARK: - The estimator seam

extension LinearRegression.Fitted: TrainedModel {
    public static let modelTypeName = "linear"
    public static let predictionLayout = InputLayout.columns
    public var classLabels: [ClassLabel]? { nil }

    public var convergence: Convergence? {
        guard let converged, let iterationsRun else { return nil }
        return Convergence(
            converged: converged, iterations: iterationsRun, remaining: remainingChange,
            measure: "the largest coefficient change relative to the largest coefficient")
    }

    /// Column by column: no row-major copy of the inputs for a model that only needs x · w + b.
    public func predict(_ x: Design) throws(MLError) -> Predictions {
        switch x {
        case .matrix(let matrix):
            return Predictions(values: try predict(matrix))
        case .columns(let columns, let rows, _):
            guard columns.count == featureCount else {
                throw MLError(
                    .schemaMismatch, "the model takes \(featureCount) features per row but got \(columns.count)",
                    hints: ["pass the same feature columns, in the same order, as in training"])
            }
            return Predictions(values: LinearAlgebra.predict(columns: columns, rows: rows, weights: coefficients, intercept: intercept))
        }
    }

    public var rowFormula: CompiledPipeline.Formula? { .linear(weights: coefficients, intercept: intercept) }
}

extension LinearRegression: EstimatorKind {
    public static let typeName = "linearRegression"
    public static let summary = "least squares, by normal equations or gradient descent"
    public static let settingsSummary = "`solver` (normal or gradientDescent), `fitIntercept`, `learningRate` (0.01), `iterations` (1000), `tolerance` (0), `initialWeights`, `initialIntercept`"
    public static let predictsClasses = false
    public static let trainingLayout = InputLayout.columns
    public var specName: String { "linearRegression (\(solver.rawValue))" }
    public var label: String { "linear-regression (\(solver.rawValue))" }

    public func fit(_ x: Design, target: TrainingTarget) throws(MLError) -> Fitted {
        try fit(x, try target.values(for: Self.typeName))
    }
}

extension Ridge: EstimatorKind {
    public static let typeName = "ridge"
    public static let summary = "least squares with an L2 penalty (alpha)"
    public static let settingsSummary = "`alpha` (1), `fitIntercept`"
    public static let predictsClasses = false
    public static let trainingLayout = InputLayout.columns
    public var specName: String { "ridge" }
    public var label: String { "ridge (alpha \(alpha))" }

    public func fit(_ x: Design, target: TrainingTarget) throws(MLError) -> LinearRegression.Fitted {
        try fit(x, try target.values(for: Self.typeName))
    }
}

extension Lasso: EstimatorKind {
    public static let typeName = "lasso"
    public static let summary = "least squares with an L1 penalty (alpha), by coordinate descent"
    public static let settingsSummary = "`alpha` (1), `fitIntercept`, `maxIterations` (1000), `tolerance` (1e-4)"
    public static let predictsClasses = false
    public static let trainingLayout = InputLayout.columns
    public var specName: String { "lasso" }
    public var label: String { "lasso (alpha \(alpha))" }

    public func fit(_ x: Design, target: TrainingTarget) throws(MLError) -> LinearRegression.Fitted {
        try fit(x, try target.values(for: Self.typeName))
    }
}

// MARK: - Spec decoding

extension LinearRegression {
    /// Decodes from a spec; every setting optional.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.settings(
            "linearRegression",
            allowed: ["solver", "fitIntercept", "learningRate", "iterations", "tolerance", "initialWeights", "initialIntercept"])
        self.init(
            solver: try c.value("solver", default: .normal), fitIntercept: try c.value("fitIntercept", default: true),
            learningRate: try c.value("learningRate", default: 0.01), iterations: try c.value("iterations", default: 1000),
            tolerance: try c.value("tolerance", default: 0), initialWeights: try c.optional("initialWeights"),
            initialIntercept: try c.optional("initialIntercept"))
    }
}

extension Ridge {
    /// Decodes from a spec; every setting optional.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.settings("ridge", allowed: ["alpha", "fitIntercept"])
        self.init(alpha: try c.value("alpha", default: 1.0), fitIntercept: try c.value("fitIntercept", default: true))
    }
}

extension Lasso {
    /// Decodes from a spec; every setting optional.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.settings("lasso", allowed: ["alpha", "fitIntercept", "maxIterations", "tolerance"])
        self.init(
            alpha: try c.value("alpha", default: 1.0), fitIntercept: try c.value("fitIntercept", default: true),
            maxIterations: try c.value("maxIterations", default: 1000), tolerance: try c.value("tolerance", default: 1e-4))
    }
}
