import BatCatCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The error thrown by `BatCatServe`: every failure a caller can cause, with its HTTP status. Rendered as
/// `{"error": {"code": "…", "message": "…"}}`; a caller's mistake is never a 500.
public struct ServeError: HTTPResponseError, ReportableError, Sendable {
    /// The HTTP status.
    public let status: HTTPResponse.Status
    /// A stable machine-readable code: `unauthorized`, `invalid_json`, `invalid_input`, ….
    public let code: String
    /// What is wrong, naming the row and feature where there is one.
    public let message: String
    /// Extra response headers (`Retry-After`).
    public let headers: HTTPFields
    /// Hints for the command line; not sent to callers.
    public var hints: [String] { [] }
    /// ``code``.
    public var codeName: String { code }

    /// Creates an error.
    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    static func invalidInput(_ message: String) -> ServeError { ServeError(.unprocessableContent, "invalid_input", message) }
    static func badJSON(_ message: String) -> ServeError { ServeError(.badRequest, "invalid_json", message) }

    /// The JSON error body.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        let body = "{\"error\":{\"code\":\(JSONText.quoted(code)),\"message\":\(JSONText.quoted(message))}}"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
