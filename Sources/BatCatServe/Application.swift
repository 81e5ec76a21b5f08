import BatCatCore
import BatCatData
import BatCatML
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// How the server runs.
public struct ServeConfiguration: Sendable {
    /// The address to listen on (127.0.0.1 by default).
    public var host = "127.0.0.1"
    /// The port (8080, as SageMaker expects).
    public var port = 8080
    /// Accepted API keys; `nil` turns authentication off (the CLI warns).
    public var keys: APIKeys?
    /// Requests a second per key, and the burst; `nil` for no limit.
    public var rateLimit: (rate: Double, burst: Double)?
    /// The largest request body, in bytes.
    public var maxBodyBytes = 8 << 20

    /// Defaults: 127.0.0.1:8080, no keys, no limit, 8 MiB bodies.
    public init() {}
}

/// Everything the routes share.
struct ServerState: Sendable {
    let live: LiveModel
    let configuration: ServeConfiguration
    let counters: Counters
    let capture: Capture?
    let limiter: RateLimiter?
}

/// The routes of the prediction server, and whether each needs an API key.
enum Routes {
    static let predictions = ["/stream", "/batch", "/invocations"]
    static let open = ["/ping", "/health", "/ready", "/metrics", "/openapi.json", "/v1/models"]
}

/// Builds the prediction server: the same app for `batcat serve` and for the tests.
///
/// - Parameters:
///   - configuration: address, keys, limits.
///   - live: the model to serve (swapped in place by a ``RegistryWatcher``).
///   - counters: where metrics go (`GET /metrics`).
///   - capture: request/response capture, or `nil`.
///   - services: more services to run with the app (the watcher, the capture writer).
///   - logger: the server's logger.
///   - onListening: called with the bound port once the server listens (useful with port 0).
public func buildApplication(
    configuration: ServeConfiguration, live: LiveModel, counters: Counters, capture: Capture? = nil, services: [any Service] = [],
    logger: Logger, onListening: @escaping @Sendable (Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let state = ServerState(
        live: live, configuration: configuration, counters: counters, capture: capture,
        limiter: configuration.rateLimit.map { RateLimiter(rate: $0.rate, burst: $0.burst) })
    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: ObservingMiddleware(state: state))
    router.get("/ping") { _, _ in try ready(state) }
    router.get("/ready") { _, _ in try ready(state) }
    router.get("/health") { _, _ in json("{\"status\":\"ok\"}") }
    router.get("/metrics") { _, _ in
        Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
            body: .init(byteBuffer: ByteBuffer(string: state.counters.render())))
    }
    router.get("/openapi.json") { _, _ in json(OpenAPI.document(model: state.live.current)) }
    router.get("/v1/models") { _, _ in
        guard let model = state.live.current else { throw ServeError(.serviceUnavailable, "no_model", "no model is loaded yet") }
        return json(ModelDescription.json(model))
    }
    let predictions = router.group().add(middleware: KeyMiddleware(state: state))
    predictions.post("/stream") { request, context in try await predict(request, context, state, route: .stream) }
    predictions.post("/batch") { request, context in try await predict(request, context, state, route: .batch) }
    predictions.post("/invocations") { request, context in try await predict(request, context, state, route: .invocations) }
    var appConfiguration = ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port), serverName: "batcat")
    appConfiguration.reuseAddress = true
    return Application(
        router: router, server: .http1(configuration: .init(additionalChannelHandlers: [ResponseDrain()])), configuration: appConfiguration, services: services + (capture.map { [$0] } ?? []),
        onServerRunning: { channel in await onListening(channel.localAddress?.port ?? configuration.port) }, logger: logger)
}

private func json(_ text: String, status: HTTPResponse.Status = .ok, version: String? = nil) -> Response {
    var headers: HTTPFields = [.contentType: "application/json"]
    if let version { headers[ModelHeaders.version] = version }
    return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
}

private func ready(_ state: ServerState) throws -> Response {
    guard let model = state.live.current else { throw ServeError(.serviceUnavailable, "no_model", "no model is loaded yet") }
    return json(
        "{\"status\":\"ready\",\"model\":\(JSONText.quoted(model.name)),\"version\":\(JSONText.quoted(model.versionLabel))}",
        version: model.versionLabel)
}

enum ModelHeaders {
    static let version = HTTPField.Name("x-model-version")!
    static let apiKey = HTTPField.Name("x-api-key")!
    static let variant = HTTPField.Name("x-model-variant")!
}

enum PredictionRoute: String {
    case stream, batch, invocations
}

/// Reads the body, decodes it, predicts, renders, captures.
private func predict(
    _ request: Request, _ context: BasicRequestContext, _ state: ServerState, route: PredictionRoute
) async throws -> Response {
    guard let variant = state.live.variant(for: RequestFacts.caller) else {
        throw ServeError(.serviceUnavailable, "no_model", "no model is loaded yet")
    }
    let model = variant.model
    if state.live.isSplit { RequestFacts.answered?.variant = variant.name }
    let buffer: ByteBuffer
    do {
        buffer = try await request.body.collect(upTo: state.configuration.maxBodyBytes)
    } catch is NIOTooManyBytesError {
        throw ServeError(
            .contentTooLarge, "body_too_large",
            "the body is larger than \(state.configuration.maxBodyBytes) bytes; send fewer rows per request")
    }
    let contentType = request.headers[.contentType] ?? "application/json"
    let isCSV = contentType.hasPrefix("text/csv")
    let wantsProbabilities: Bool
    switch request.uri.queryParameters.get("proba") {
    case nil, "false", "0": wantsProbabilities = false
    case "true", "1": wantsProbabilities = true
    case let other?: throw ServeError(.badRequest, "bad_request", "the query parameter proba is true or false, not '\(other)'")
    }
    let output: ServedModel.Output
    if isCSV {
        output = try model.predict(try InputDecoder.decodeCSV(Array(buffer.readableBytesView), model: model))
    } else {
        var rows: RowParser.Rows?
        var failure: ServeError?
        if model.takesNumbersOnly {
            buffer.withUnsafeReadableBytes { raw in
            do throws(ServeError) {
                rows = try RowParser.parse(raw, features: model.featureNames)
            } catch {
                failure = error
            }
            }
        }
        if let failure { throw failure }
        if let rows {
            output = try model.predict(rows)
        } else {
            output = try model.predict(try InputDecoder.decodeJSON(Data(buffer.readableBytesView), model: model))
        }
    }
    if route == .stream && output.count != 1 {
        throw ServeError.invalidInput("/stream takes exactly one row, not \(output.count); send several rows to /batch")
    }
    let accept = request.headers[.accept] ?? ""
    let response: Response
    if route == .invocations && (accept.hasPrefix("text/csv") || (isCSV && !accept.contains("json"))) {
        response = Response(
            status: .ok, headers: [.contentType: "text/csv", ModelHeaders.version: model.versionLabel],
            body: .init(byteBuffer: ByteBuffer(string: Rendering.csv(output))))
    } else {
        response = json(Rendering.json(output, route: route, probabilities: wantsProbabilities), version: model.versionLabel)
    }
    var answered = response
    if state.live.isSplit { answered.headers[ModelHeaders.variant] = variant.name }
    if let capture = state.capture, capture.sampled() {
        let requestText = isCSV ? JSONText.quoted(String(buffer: buffer)) : String(buffer: buffer)
        let responseText = Rendering.json(output, route: route, probabilities: wantsProbabilities)
        capture.record(
            "{\"time\":\(JSONText.quoted(ISO8601DateFormatter().string(from: Date()))),\"route\":\"/\(route.rawValue)\",\"variant\":\(JSONText.quoted(variant.name)),\"model\":\(JSONText.quoted(model.name)),\"version\":\(JSONText.quoted(model.versionLabel)),\"request\":\(requestText),\"response\":\(responseText)}"
        )
    }
    return answered
}

/// Writes predictions as the routes answer them.
enum Rendering {
    static func label(_ label: ClassLabel) -> String {
        switch label {
        case .int(let value): String(value)
        case .string(let value): JSONText.quoted(value)
        }
    }

    static func json(_ output: ServedModel.Output, route: PredictionRoute, probabilities: Bool) -> String {
        switch output {
        case .values(let values):
            let numbers = values.map { NumberFormatting.shortest($0) }
            switch route {
            case .stream: return numbers[0]
            case .batch: return "[" + numbers.map { "[\($0)]" }.joined(separator: ",") + "]"
            case .invocations: return "{\"predictions\":[" + numbers.joined(separator: ",") + "]}"
            }
        case .labels(let labels, let rows, let classes):
            let names = labels.map(label)
            let probabilityRows = rows.map { "[" + $0.map { NumberFormatting.shortest($0) }.joined(separator: ",") + "]" }
            let classList = "[" + classes.map(label).joined(separator: ",") + "]"
            switch route {
            case .stream:
                guard probabilities else { return names[0] }
                return "{\"prediction\":\(names[0]),\"classes\":\(classList),\"probabilities\":\(probabilityRows[0])}"
            case .batch:
                let predictions = "[" + names.map { "[\($0)]" }.joined(separator: ",") + "]"
                guard probabilities else { return predictions }
                return
                    "{\"predictions\":\(predictions),\"classes\":\(classList),\"probabilities\":[\(probabilityRows.joined(separator: ","))]}"
            case .invocations:
                let predictions = "[" + names.joined(separator: ",") + "]"
                guard probabilities else { return "{\"predictions\":\(predictions)}" }
                return
                    "{\"predictions\":\(predictions),\"classes\":\(classList),\"probabilities\":[\(probabilityRows.joined(separator: ","))]}"
            }
        }
    }

    static func csv(_ output: ServedModel.Output) -> String {
        switch output {
        case .values(let values): return values.map { NumberFormatting.shortest($0) + "\n" }.joined()
        case .labels(let labels, _, _): return labels.map { $0.description + "\n" }.joined()
        }
    }
}

/// Checks `x-api-key` on prediction routes, then the caller's rate limit.
struct KeyMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let state: ServerState

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var caller = "anonymous"
        if let keys = state.configuration.keys {
            guard let presented = request.headers[ModelHeaders.apiKey] else {
                throw ServeError(.unauthorized, "missing_api_key", "send an API key in the x-api-key header")
            }
            guard let name = keys.match(presented) else { throw ServeError(.unauthorized, "invalid_api_key", "the API key is not valid") }
            caller = name
        }
        if let limiter = state.limiter, let wait = limiter.take(caller) {
            let seconds = max(1, Int(wait.rounded(.up)))
            throw ServeError(
                .tooManyRequests, "rate_limited", "too many requests for this key: the limit is \(limiter.rate) per second",
                headers: [.retryAfter: String(seconds)])
        }
        return try await RequestFacts.$caller.withValue(caller) { try await next(request, context) }
    }
}

/// Counts every request by route and status (and its duration), and turns unexpected errors into a JSON 500
/// that reveals nothing.
struct ObservingMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let state: ServerState

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let path = request.uri.path
        let route = Routes.predictions.contains(path) || Routes.open.contains(path) ? path : "other"
        let answered = AnsweredBy()
        var variant: String { answered.variant ?? state.live.current?.versionLabel ?? "none" }
        // A known path asked with a method it does not have: 405 with the methods it has.
        if route != "other", request.method != (Routes.predictions.contains(path) ? .post : .get),
            !(request.method == .head && !Routes.predictions.contains(path))
        {
            let allowed = Routes.predictions.contains(path) ? "POST" : "GET, HEAD"
            state.counters.request(route: route, status: 405, variant: variant, seconds: ContinuousClock.now - start)
            var response = json(
                "{\"error\":{\"code\":\"method_not_allowed\",\"message\":\"\(path) takes \(allowed), not \(request.method)\"}}",
                status: .methodNotAllowed)
            response.headers[.allow] = allowed
            return response
        }
        do {
            let response = try await RequestFacts.$answered.withValue(answered) { try await next(request, context) }
            state.counters.request(route: route, status: response.status.code, variant: variant, seconds: ContinuousClock.now - start)
            return response
        } catch let error as ServeError {
            state.counters.request(route: route, status: error.status.code, variant: variant, seconds: ContinuousClock.now - start)
            throw error
        } catch let error as HTTPError {
            state.counters.request(route: route, status: error.status.code, variant: variant, seconds: ContinuousClock.now - start)
            let code = error.status == .notFound ? "not_found" : (error.status == .methodNotAllowed ? "method_not_allowed" : "bad_request")
            throw ServeError(
                error.status, code,
                error.status == .notFound ? "no route \(request.method) \(path)" : (error.body ?? error.status.reasonPhrase))
        } catch {
            state.counters.request(route: route, status: 500, variant: variant, seconds: ContinuousClock.now - start)
            context.logger.error("request failed", metadata: ["error": "\(error)"])
            throw ServeError(.internalServerError, "internal", "the server failed to answer; the error is in its log")
        }
    }
}

/// `GET /v1/models`: what is loaded.
enum ModelDescription {
    static func json(_ model: ServedModel) -> String {
        let features = model.features.map { feature -> String in
            var fields = [
                "\"name\":\(JSONText.quoted(feature.name))", "\"type\":\(JSONText.quoted(feature.type.rawValue))",
                "\"nullable\":\(feature.nullable)",
            ]
            if let categories = feature.categories {
                fields.append("\"categories\":[" + categories.map(JSONText.quoted).joined(separator: ",") + "]")
            }
            if let low = feature.minimum, let high = feature.maximum {
                fields.append("\"minimum\":\(NumberFormatting.shortest(low))")
                fields.append("\"maximum\":\(NumberFormatting.shortest(high))")
            }
            return "{" + fields.joined(separator: ",") + "}"
        }
        let classes = model.artifact.pipeline.classes.map { "[" + $0.map(Rendering.label).joined(separator: ",") + "]" } ?? "null"
        return """
            {"models":[{"name":\(JSONText.quoted(model.name)),"version":\(JSONText.quoted(model.versionLabel)),"digest":\(JSONText.quoted(model.digest)),"task":\(JSONText.quoted(model.artifact.task)),"target":\(JSONText.quoted(model.artifact.pipeline.target)),"classes":\(classes),"features":[\(features.joined(separator: ","))],"fastPath":\(model.compiled != nil)}]}
            """
    }
}
