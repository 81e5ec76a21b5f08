import BatCatData
import BatCatML
import Testing

@Suite("Linear models against scikit-learn")
struct LinearRegressionTests {
    /// The classic example: bmi only, the last 20 rows held out.
    private func diabetesBMI() throws -> (train: Matrix, trainY: [Double], test: Matrix, testY: [Double]) {
        let frame = try Fixtures.diabetes()
        let x = try frame.matrix(["bmi"])
        let y = try frame.column("target").doubles!
        let n = frame.rowCount
        let train = Matrix(rows: n - 20, columns: 1, values: Array(x.values[0..<(n - 20)]))
        let test = Matrix(rows: 20, columns: 1, values: Array(x.values[(n - 20)...]))
        return (train, Array(y[0..<(n - 20)]), test, Array(y[(n - 20)...]))
    }

    @Test("diabetes-bmi with the normal solver matches scikit-learn to 1e-9")
    func diabetesNormal() throws {
        let data = try diabetesBMI()
        let model = try LinearRegression().fit(data.train, data.trainY)
        let predicted = try model.predict(data.test)
        #expect(relativelyClose(model.coefficients[0], 938.2378612513521, 1e-9))
        #expect(relativelyClose(model.intercept, 152.91886182616113, 1e-9))
        #expect(relativelyClose(RegressionMetrics.meanSquaredError(data.testY, predicted), 2548.07239872597, 1e-9))
        #expect(relativelyClose(RegressionMetrics.r2(data.testY, predicted), 0.47257544798227147, 1e-9))
    }

    @Test("diabetes-bmi by gradient descent (rate 0.1, 15,000 iterations) reaches R² 0.472 ± 0.001")
    func diabetesGradientDescent() throws {
        let data = try diabetesBMI()
        let model = try LinearRegression(solver: .gradientDescent, learningRate: 0.1, iterations: 15_000).fit(data.train, data.trainY)
        let r2 = RegressionMetrics.r2(data.testY, try model.predict(data.test))
        #expect(abs(r2 - 0.472) <= 0.001, "R² was \(r2)")
        #expect(model.iterationsRun == 15_000)
        let history = try #require(model.lossHistory)
        #expect(history.count == 1000)
        #expect(zip(history, history.dropFirst()).allSatisfy { $0 >= $1 }, "the loss must not increase")
    }

    @Test("Predictions match scikit-learn within 1e-6", arguments: try Fixtures.regressionCases())
    func reference(_ reference: Fixtures.RegressionCase) throws {
        let x = Fixtures.matrix(reference.x)
        let alpha = reference.params["alpha"] ?? 1
        let model: LinearRegression.Fitted
        switch reference.estimator {
        case "linearRegression": model = try LinearRegression().fit(x, reference.y)
        case "ridge": model = try Ridge(alpha: alpha).fit(x, reference.y)
        default: model = try Lasso(alpha: alpha, maxIterations: 1_000_000, tolerance: 1e-12).fit(x, reference.y)
        }
        let predicted = try model.predict(x)
        for (ours, theirs) in zip(predicted, reference.predictions) { #expect(close(ours, theirs, 1e-6)) }
        for (ours, theirs) in zip(model.coefficients, reference.coefficients) { #expect(close(ours, theirs, 1e-6)) }
        #expect(close(model.intercept, reference.intercept, 1e-6))
    }

    @Test("A constant feature or a dependent one is refused by the normal solver, naming it")
    func singular() throws {
        let constant = try DataFrame(columns: [Column("a", doubles: [1, 2, 3, 4]), Column("k", doubles: [5, 5, 5, 5])]).matrix()
        let error = #expect(throws: MLError.self) { try LinearRegression().fit(constant, [1, 2, 3, 4]) }
        #expect(error?.code == .singularMatrix)
        #expect(error?.message == "feature 'k' is constant, so its coefficient cannot be determined")
        let dependent = try DataFrame(columns: [Column("a", doubles: [1, 2, 3, 5]), Column("twice", doubles: [2, 4, 6, 10])]).matrix()
        let second = #expect(throws: MLError.self) { try LinearRegression().fit(dependent, [1, 2, 3, 4]) }
        #expect(second?.message.hasPrefix("feature 'twice' is a linear combination") == true)
        // Ridge accepts the same data.
        _ = try Ridge(alpha: 1).fit(dependent, [1, 2, 3, 4])
    }

    @Test("A diverging gradient descent stops with an error naming the learning rate")
    func divergence() throws {
        let x = Matrix(rows: 4, columns: 1, values: [10, 20, 30, 40])
        let error = #expect(throws: MLError.self) {
            try LinearRegression(solver: .gradientDescent, learningRate: 1, iterations: 500).fit(x, [1, 2, 3, 4])
        }
        #expect(error?.code == .diverged)
        #expect(error?.hints.first?.contains("learningRate (now 1.0)") == true)
    }

    @Test("NaN in the target or a feature is refused, naming where")
    func nonFinite() {
        let x = Matrix(rows: 3, columns: 1, values: [1, 2, 3], columnNames: ["bmi"])
        let target = #expect(throws: MLError.self) { try LinearRegression().fit(x, [1, .nan, 3]) }
        #expect(target?.message == "the target is missing or not finite in row 2")
        let feature = #expect(throws: MLError.self) {
            try LinearRegression().fit(Matrix(rows: 2, columns: 1, values: [1, .nan], columnNames: ["bmi"]), [1, 2])
        }
        #expect(feature?.message == "feature 'bmi' has a missing or infinite value in row 2")
    }

    /// Every estimator fitted from Gram sums: least squares by both solvers, ridge and lasso.
    static let linearEstimators: [EstimatorChoice] = [
        EstimatorChoice(LinearRegression()), EstimatorChoice(Ridge(alpha: 2)), EstimatorChoice(Lasso(alpha: 0.1)),
        EstimatorChoice(LinearRegression(solver: .gradientDescent, learningRate: 1e-7, iterations: 50)),
    ]

    /// `rows` rows (by default not a multiple of the blocks the Gram sums read) of three features with an
    /// offset, and a target.
    private func wideFrame(rows: Int = 1037) throws -> DataFrame {
        var generator = SeededGenerator(seed: 7)
        var columns: [[Double]] = [[], [], []]
        var target: [Double] = []
        for _ in 0..<rows {
            let row = (0..<3).map { j in 1000 * Double(j) + Double(generator.next() % 10_000) / 997 }
            for j in 0..<3 { columns[j].append(row[j]) }
            target.append(3 * row[0] - 0.5 * row[1] + 0.25 * row[2] + Double(generator.next() % 100) / 89)
        }
        return try DataFrame(
            columns: columns.enumerated().map { Column("x\($0.offset)", doubles: $0.element) } + [Column("y", doubles: target)])
    }

    @Test(
        "A pipeline fits linear models from the frame's columns exactly as from its matrix",
        arguments: linearEstimators)
    func columnsEqualMatrix(_ estimator: EstimatorChoice) throws {
        let frame = try wideFrame()
        let fitted = try Pipeline(estimator: estimator).fit(frame, features: ["x0", "x1", "x2"], target: "y")
        let x = try frame.matrix(["x0", "x1", "x2"])
        let y = try frame.column("y").doubles!
        guard let direct = try estimator.kind.fit(.matrix(x), target: .values(y)) as? LinearRegression.Fitted else {
            Issue.record("expected \(estimator.typeName) to fit a linear model")
            return
        }
        guard let model = fitted.model.as(LinearRegression.Fitted.self) else {
            Issue.record("expected a linear model")
            return
        }
        #expect(model.coefficients.map(\.bitPattern) == direct.coefficients.map(\.bitPattern))
        #expect(model.intercept.bitPattern == direct.intercept.bitPattern)
    }

    @Test("Predictions from columns, in blocks and across cores, are bit-identical to the row-major model's")
    func columnPredictionsMatchRowMajor() throws {
        let frame = try wideFrame(rows: 250_003)
        let fitted = try Pipeline(estimator: EstimatorChoice(LinearRegression())).fit(frame, features: ["x0", "x1", "x2"], target: "y")
        guard let model = fitted.model.as(LinearRegression.Fitted.self) else {
            Issue.record("expected a linear model")
            return
        }
        let rowMajor = try model.predict(try frame.matrix(["x0", "x1", "x2"]))
        #expect(try fitted.predict(frame).values?.map(\.bitPattern) == rowMajor.map(\.bitPattern))
    }

    @Test("An infinite feature value in a frame is refused, naming the column and the first row")
    func infiniteInFrame() throws {
        let frame = try DataFrame(columns: [
            Column("a", doubles: [1, 2, 3, 4]), Column("b", doubles: [1, .infinity, 3, -.infinity]),
            Column("c", doubles: [1, 2, .infinity, 4]), Column("y", doubles: [1, 2, 3, 4]),
        ])
        let error = #expect(throws: MLError.self) {
            try Pipeline(estimator: EstimatorChoice(LinearRegression())).fit(frame, features: ["a", "c", "b"], target: "y")
        }
        #expect(error?.message == "feature 'b' is infinite in row 2")
    }

    @Test(
        "A missing value in the last row of a long, odd-length frame is found by every linear estimator",
        arguments: linearEstimators)
    func missingInLastRow(_ estimator: EstimatorChoice) throws {
        // Two pieces of sums, the second ending in a block of one row, which the Gram kernel pairs with a row of zeros.
        let rows = 2 * 65_536 + 1
        var values = (0..<rows).map { Double($0 % 97) }
        values[rows - 1] = .nan
        let frame = try DataFrame(columns: [
            Column("a", doubles: (0..<rows).map { Double($0 % 13) }), Column("b", doubles: values),
            Column("y", doubles: (0..<rows).map { Double($0 % 7) }),
        ])
        let error = #expect(throws: MLError.self) {
            try Pipeline(estimator: estimator).fit(frame, features: ["a", "b"], target: "y")
        }
        #expect(error?.message == "feature 'b' has a missing or infinite value in row \(rows)")
    }

    @Test("Least squares over several chunks of rows recovers exact coefficients")
    func longExactFit() throws {
        let rows = 3 * 65_536 + 5
        var generator = SeededGenerator(seed: 11)
        let a = (0..<rows).map { _ in Double(generator.next() % 10_000) / 101 }
        let b = (0..<rows).map { _ in 500 + Double(generator.next() % 10_000) / 37 }
        let frame = try DataFrame(columns: [
            Column("a", doubles: a), Column("b", doubles: b), Column("y", doubles: (0..<rows).map { 2.5 * a[$0] - 0.75 * b[$0] + 10 }),
        ])
        let fitted = try Pipeline(estimator: EstimatorChoice(LinearRegression())).fit(frame, features: ["a", "b"], target: "y")
        guard let model = fitted.model.as(LinearRegression.Fitted.self) else {
            Issue.record("expected a linear model")
            return
        }
        #expect(abs(model.coefficients[0] - 2.5) < 1e-9)
        #expect(abs(model.coefficients[1] + 0.75) < 1e-9)
        #expect(abs(model.intercept - 10) < 1e-6)
    }

    @Test("Hyperparameters outside their range are refused")
    func hyperparameters() {
        let x = Matrix(rows: 3, columns: 1, values: [1, 2, 3])
        #expect(throws: MLError.self) { try LinearRegression(solver: .gradientDescent, learningRate: -1).fit(x, [1, 2, 3]) }
        #expect(throws: MLError.self) { try LinearRegression(solver: .gradientDescent, initialWeights: [1, 2]).fit(x, [1, 2, 3]) }
        #expect(throws: MLError.self) { try Ridge(alpha: -1).fit(x, [1, 2, 3]) }
        #expect(throws: MLError.self) { try Lasso(maxIterations: 0).fit(x, [1, 2, 3]) }
    }
}

@Suite("Logistic regression against scikit-learn")
struct LogisticRegressionTests {
    @Test(
        "Probabilities match scikit-learn within 1e-4, with both solvers", arguments: try Fixtures.classificationCases(),
        [LogisticRegression.Solver.lbfgs, .newton])
    func reference(_ reference: Fixtures.ClassificationCase, solver: LogisticRegression.Solver) throws {
        let x = Fixtures.matrix(reference.x)
        let model = try LogisticRegression(c: reference.c, solver: solver, maxIterations: 1000, tolerance: 1e-7)
            .fit(x, reference.y.map { ClassLabel.int($0) })
        #expect(model.classes == reference.classes.map { .int($0) })
        let probabilities = try model.predictProbabilities(x)
        var worst = 0.0
        for row in 0..<x.rows {
            for k in 0..<model.classes.count { worst = max(worst, abs(probabilities[row, k] - reference.probabilities[row][k])) }
        }
        #expect(worst <= 1e-4, "largest difference \(worst)")
        #expect(try model.predict(x) == reference.predictions.map { .int($0) })
    }

    @Test("Labels are kept as given, text or numbers")
    func labels() throws {
        let x = Matrix(rows: 6, columns: 1, values: [0, 1, 2, 3, 4, 5])
        let model = try LogisticRegression().fit(
            x, ["benign", "benign", "benign", "malignant", "malignant", "malignant"].map { .string($0) })
        #expect(model.classes == [.string("benign"), .string("malignant")])
        #expect(try model.predict(Matrix(rows: 2, columns: 1, values: [-5, 10])) == [.string("benign"), .string("malignant")])
    }

    @Test("One class only is refused")
    func oneClass() {
        let error = #expect(throws: MLError.self) {
            try LogisticRegression().fit(Matrix(rows: 2, columns: 1, values: [1, 2]), [.int(1), .int(1)])
        }
        #expect(error?.message.contains("only one class") == true)
    }
}
