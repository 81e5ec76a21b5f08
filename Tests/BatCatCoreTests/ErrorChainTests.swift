import BatCatCore
import Testing

/// Errors of three layers, each keeping the one below as its cause.
private struct Layer: ReportableError, Sendable {
    var message: String
    var hints: [String] = []
    var codeName: String
    var cause: (any Error & Sendable)?
    var underlying: (any Error)? { cause }
}

@Suite("Errors keep their causes")
struct ErrorChainTests {
    @Test("The chain of causes runs outermost first, through every layer, to an error of any kind")
    func chain() {
        struct Plain: Error, Sendable {}
        let inner = Layer(message: "bad row 3", codeName: "fieldCount", cause: Plain())
        let middle = Layer(message: "cannot read data.csv", codeName: "invalidData", cause: inner)
        let outer = Layer(message: "cannot train churn", codeName: "invalidSpec", cause: middle)
        let causes = outer.causes
        #expect(causes.count == 3)
        #expect((causes[0] as? Layer)?.codeName == "invalidData")
        #expect((causes[1] as? Layer)?.message == "bad row 3")
        #expect(causes[2] is Plain)
        #expect(CoreError(.configSyntax, "x").causes.isEmpty)
        #expect(CoreError(.configSyntax, "x", cause: inner).codeName == "configSyntax")
    }
}
