import BatCatCore
import BatCatData
import BatCatML
import BatCatRegistry
import BatCatStorage

// The libraries below the CLI have no package dependencies, so their error types cannot know
// BatCatCore's protocol; the command line, as the composition root, connects them here.
extension DataError: ReportableError {
    public var codeName: String { code.description }
}

extension MLError: ReportableError {
    public var codeName: String { code.description }
    public var underlying: (any Error)? { cause }
}

