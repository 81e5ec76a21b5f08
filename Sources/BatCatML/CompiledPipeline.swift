import BatCatData

/// A fitted pipeline turned into straight-line arithmetic on one row of numbers, for serving.
///
/// Only pipelines whose features are all numeric and whose steps are numeric imputation, scaling and
/// capping compile; their predictions are bit-identical to ``FittedPipeline/predict(_:)`` because each
/// operation is the same expression in the same order. Others return `nil` from
/// ``FittedPipeline/compiled()`` and are served through the frame path.
public struct CompiledPipeline: Sendable {
    enum Operation: Sendable {
        case fill(slot: Int, value: Double)
        case indicator(source: Int, target: Int)
        case scale(slot: Int, shift: Double, scale: Double)
        case clip(slot: Int, low: Double, high: Double)
    }

    /// A fitted model as arithmetic on the prepared row (``TrainedModel/rowFormula``).
    public enum Formula: Sendable {
        /// x · weights + intercept.
        case linear(weights: [Double], intercept: Double)
        /// Logistic scores, then the sigmoid (one row of weights) or softmax (one per class).
        case logistic(weights: [[Double]], intercepts: [Double])
    }

    /// How many numbers a row must have (the features, in order).
    public let inputWidth: Int
    /// Whether missing values (NaN) are allowed in each input position.
    public let acceptsMissing: [Bool]
    /// The class labels, for classifiers.
    public let classes: [ClassLabel]?
    let slotCount: Int
    let operations: [Operation]
    let modelSlots: [Int]
    let model: Formula

    /// Whether the model predicts classes.
    public var isClassifier: Bool { classes != nil }

    /// The predicted value of one row (regression), the row holding ``inputWidth`` numbers, NaN where missing.
    public func predictValue(_ row: UnsafeBufferPointer<Double>, scratch: UnsafeMutableBufferPointer<Double>) -> Double {
        prepare(row, scratch)
        guard case .linear(let weights, let intercept) = model else { return .nan }
        var sum = intercept
        for j in 0..<modelSlots.count { sum += scratch[modelSlots[j]] * weights[j] }
        return sum
    }

    /// The class probabilities of one row, in ``classes`` order, written to `probabilities`.
    public func predictProbabilities(
        _ row: UnsafeBufferPointer<Double>, scratch: UnsafeMutableBufferPointer<Double>, into probabilities: inout [Double]
    ) {
        prepare(row, scratch)
        guard case .logistic(let weights, let intercepts) = model else { return }
        var scores = [Double](repeating: 0, count: weights.count)
        for r in 0..<weights.count {
            var z = intercepts[r]
            let w = weights[r]
            for j in 0..<modelSlots.count { z += w[j] * scratch[modelSlots[j]] }
            scores[r] = z
        }
        if scores.count == 1 {
            let positive = LogisticMath.sigmoid(scores[0])
            probabilities[0] = 1 - positive
            probabilities[1] = positive
        } else {
            LogisticMath.softmax(scores, into: &probabilities, at: 0)
        }
    }

    /// How many scratch slots ``predictValue(_:scratch:)`` needs.
    public var scratchSize: Int { slotCount }

    @inline(__always)
    private func prepare(_ row: UnsafeBufferPointer<Double>, _ slots: UnsafeMutableBufferPointer<Double>) {
        for j in 0..<inputWidth { slots[j] = row[j] }
        for operation in operations {
            switch operation {
            case .fill(let slot, let value): if slots[slot].isNaN { slots[slot] = value }
            case .indicator(let source, let target): slots[target] = slots[source].isNaN ? 1 : 0
            case .scale(let slot, let shift, let scale): if !slots[slot].isNaN { slots[slot] = (slots[slot] - shift) / scale }
            case .clip(let slot, let low, let high): if !slots[slot].isNaN { slots[slot] = min(max(slots[slot], low), high) }
            }
        }
    }
}

extension FittedPipeline {
    /// The pipeline as row arithmetic, or `nil` when a feature is text or a step is not numeric.
    public func compiled() -> CompiledPipeline? {
        guard features.allSatisfy({ $0.type != .string }) else { return nil }
        var names = features.map(\.name)
        var operations: [CompiledPipeline.Operation] = []
        func slot(_ name: String) -> Int? { names.firstIndex(of: name) }
        for named in steps {
            switch named.step {
            case .simpleImputer(let imputer):
                // Indicators read the values before filling, as the frame path does.
                var indicatorOps: [CompiledPipeline.Operation] = []
                for name in imputer.columns where imputer.indicators.contains(name) {
                    guard let source = slot(name) else { return nil }
                    names.append("\(name)_missing")
                    indicatorOps.append(.indicator(source: source, target: names.count - 1))
                }
                operations += indicatorOps
                for name in imputer.columns {
                    guard let fill = imputer.fills[name] else { continue }
                    guard case .number(let value) = fill, let index = slot(name) else { return nil }
                    operations.append(.fill(slot: index, value: value))
                }
            case .scaler(let scaler):
                for (index, name) in scaler.columns.enumerated() {
                    guard let at = slot(name) else { return nil }
                    operations.append(.scale(slot: at, shift: scaler.shifts[index], scale: scaler.scales[index]))
                }
            case .outlierCapper(let capper):
                for (index, name) in capper.columns.enumerated() {
                    guard let at = slot(name) else { return nil }
                    operations.append(.clip(slot: at, low: capper.lowerBounds[index], high: capper.upperBounds[index]))
                }
            default:
                return nil
            }
        }
        var modelSlots: [Int] = []
        for name in modelInputs {
            guard let index = slot(name) else { return nil }
            modelSlots.append(index)
        }
        let imputed = Set(
            steps.flatMap { step -> [String] in
                if case .simpleImputer(let imputer) = step.step { return Array(imputer.fills.keys) }
                return []
            })
        guard let compiledModel = model.model.rowFormula else { return nil }
        return CompiledPipeline(
            inputWidth: features.count, acceptsMissing: features.map { imputed.contains($0.name) }, classes: classes,
            slotCount: names.count,
            operations: operations, modelSlots: modelSlots, model: compiledModel)
    }
}
