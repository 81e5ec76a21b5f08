import Foundation

#if canImport(Glibc)
import Glibc
#endif
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A `batcat serve` process on a free port, stopped when released.
final class ServerProcess: @unchecked Sendable {
    let process = Process()
    private(set) var port = 0
    private let errors = Pipe()
    private var log = ""

    init(_ arguments: [String], in directory: URL) throws {
        process.executableURL = Transcript.binary
        process.arguments = ["serve", "--port", "0"] + arguments
        process.currentDirectoryURL = directory
        process.environment = ["PATH": "/usr/bin:/bin", "HOME": directory.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while port == 0 && Date() < deadline && process.isRunning {
            let data = errors.fileHandleForReading.availableData
            if data.isEmpty { break }
            log += String(decoding: data, as: UTF8.self)
            if let match = log.firstMatch(of: #/on http://127\.0\.0\.1:(\d+)\n/#) { port = Int(match.1)! }
        }
    }

    deinit { if process.isRunning { process.terminate() } }

    /// Sends SIGTERM and waits for the exit status.
    func stop() -> Int32 {
        process.terminate()
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Everything the server wrote to standard error so far.
    var standardError: String {
        log + String(decoding: (try? errors.fileHandleForReading.readToEnd()) ?? Data(), as: UTF8.self)
    }

    func post(_ path: String, _ body: String, key: String?) async throws -> (status: Int, body: String, version: String?) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = "POST"
        request.httpBody = Data(body.utf8)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let key { request.setValue(key, forHTTPHeaderField: "x-api-key") }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as! HTTPURLResponse
        return (http.statusCode, String(decoding: data, as: UTF8.self), http.value(forHTTPHeaderField: "x-model-version"))
    }
}

@Suite("batcat serve, end to end", .serialized)
struct ServeCommandTests {
    /// A project with the diabetes example trained twice (two versions), registered, version 1 in production.
    private func project() throws -> (WorkFolder, key: String) {
        let work = try WorkFolder()
        try work.copyDiabetesData(into: "d")
        try work.write(
            "d/one.yaml",
            "name: d\ndata: diabetes.csv\ntarget: target\nfeatures: [bmi]\nestimator: {type: linearRegression}\noutput: one.json\n")
        try work.write(
            "d/two.yaml",
            "name: d\ndata: diabetes.csv\ntarget: target\nfeatures: [bmi, bp]\nestimator: {type: linearRegression}\noutput: two.json\n")
        for spec in ["d/one.yaml", "d/two.yaml"] { #expect(try Transcript.run(["train", spec, "-q"], in: work.url).status == 0) }
        #expect(try Transcript.run(["registry", "register", "d/one.json", "--model", "d", "-q"], in: work.url).status == 0)
        #expect(try Transcript.run(["registry", "promote", "d", "1", "--to", "production", "-q"], in: work.url).status == 0)
        let key = try Transcript.run(["keys", "new", "tests", "--file", "keys.txt", "-q"], in: work.url).stdout.trimmingCharacters(
            in: .whitespacesAndNewlines)
        return (work, key)
    }

    @Test("The real binary answers /stream over HTTP with a key, refuses without, and exits 0 on SIGTERM")
    func realPort() async throws {
        let (work, key) = try project()
        let server = try ServerProcess(["--model", "d", "--keys-file", "keys.txt"], in: work.url)
        #expect(server.port > 0, "\(server.standardError)")
        let answer = try await server.post("/stream", #"{"x": [[0.3]]}"#, key: key)
        #expect(answer.status == 200)
        #expect(Double(answer.body) != nil)
        #expect(answer.version == "1")
        #expect(try await server.post("/stream", #"{"x": [[0.3]]}"#, key: nil).status == 401)
        #expect(server.stop() == 0)
    }

    @Test("Promoting a new version while requests flow: none fails and the responses switch version")
    func hotSwap() async throws {
        let (work, key) = try project()
        let server = try ServerProcess(["--model", "d", "--keys-file", "keys.txt", "--watch-interval", "0.2"], in: work.url)
        #expect(server.port > 0)
        let client = Task { () -> [(Int, String?)] in
            var results: [(Int, String?)] = []
            let start = Date()
            while Date().timeIntervalSince(start) < 6 {
                // Version 2 takes two features; rows of width 1 fit version 1 only, so send records.
                let answer = try await server.post("/batch", #"{"records": [{"bmi": 0.3, "bp": 0.1}]}"#, key: key)
                results.append((answer.status, answer.version))
                if answer.version == "2" && results.filter({ $0.1 == "2" }).count > 20 { break }
            }
            return results
        }
        try await Task.sleep(for: .milliseconds(700))
        #expect(try Transcript.run(["registry", "register", "d/two.json", "--model", "d", "-q"], in: work.url).status == 0)
        #expect(try Transcript.run(["registry", "promote", "d", "2", "--to", "production", "-q"], in: work.url).status == 0)
        let results = try await client.value
        #expect(results.allSatisfy { $0.0 == 200 }, "statuses: \(Set(results.map(\.0)))")
        let versions = results.map { $0.1 ?? "" }
        #expect(versions.first == "1")
        #expect(versions.last == "2")
        #expect(versions.firstIndex(of: "2")! > 0 && versions[versions.firstIndex(of: "2")!...].allSatisfy { $0 == "2" })
        #expect(server.stop() == 0)
    }

    @Test("SIGTERM during requests: the requests in flight all complete, then the server exits 0")
    func gracefulShutdown() async throws {
        let (work, key) = try project()
        let server = try ServerProcess(["--model", "d", "--keys-file", "keys.txt"], in: work.url)
        #expect(server.port > 0)
        let rows = Array(repeating: "[0.3]", count: 60_000).joined(separator: ",")
        let body = "{\"x\": [\(rows)]}"
        let inFlight = (0..<6).map { _ in Task { try await server.post("/batch", body, key: key) } }
        try await Task.sleep(for: .milliseconds(150))
        server.process.terminate()
        for task in inFlight {
            let answer = try await task.value
            #expect(answer.status == 200)
            #expect(answer.body.hasPrefix("[["))
        }
        server.process.waitUntilExit()
        #expect(server.process.terminationStatus == 0)
    }

    @Test("SIGTERM while 16 large responses are being written: each client gets its whole response or a refused connection")
    func drainsLargeResponses() async throws {
        let (work, key) = try project()
        let rows = Array(repeating: "[0.3]", count: 200_000).joined(separator: ",")
        let body = Array("{\"x\": [\(rows)]}".utf8)
        let request =
            Array("POST /batch HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nx-api-key: \(key)\r\nContent-Length: \(body.count)\r\n\r\n".utf8)
            + body
        // The signal lands at several moments of the writes: early, mid-way, late.
        for delay in [150, 400, 900] {
            let server = try ServerProcess(["--model", "d", "--keys-file", "keys.txt"], in: work.url)
            #expect(server.port > 0, "\(server.standardError)")
            let port = server.port
            let clients = (0..<16).map { _ in Task.detached { RawHTTP.exchange(request, port: port) } }
            try await Task.sleep(for: .milliseconds(delay))
            server.process.terminate()
            var outcomes: [RawHTTP.Outcome] = []
            for client in clients { outcomes.append(await client.value) }
            server.process.waitUntilExit()
            #expect(server.process.terminationStatus == 0)
            let truncated = outcomes.filter { if case .truncated = $0 { true } else { false } }
            #expect(truncated.isEmpty, "after \(delay) ms: \(outcomes)")
        }
    }

    @Test("serve without keys is refused with the way to make one")
    func noKeys() throws {
        let (work, _) = try project()
        let transcript = try Transcript.run(["serve", "--model", "d", "--port", "0"], in: work.url)
        #expect(transcript.status == 1)
        #expect(transcript.stderr.contains("error: no API keys are configured for the prediction routes"))
        #expect(transcript.stderr.contains("hint: make one with: batcat keys new NAME --file keys.txt"))
    }
}

/// One HTTP/1.1 exchange over a plain socket, keeping the connection open as clients do, to see exactly how much
/// of the response arrived.
enum RawHTTP {
    enum Outcome: Sendable, CustomStringConvertible {
        case complete
        case refused
        case truncated(received: Int, expected: Int)

        var description: String {
            switch self {
            case .complete: "complete"
            case .refused: "refused"
            case .truncated(let received, let expected): "truncated \(received) of \(expected)"
            }
        }
    }

    static func exchange(_ request: [UInt8], port: Int) -> Outcome {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return .refused }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return .refused }
        var sent = 0
        while sent < request.count {
            let n = request[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { return .refused }
            sent += n
        }
        var received: [UInt8] = []
        var expected: Int?
        var headerEnd = 0
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            received += buffer[0..<n]
            if expected == nil, let end = received.firstRange(of: Array("\r\n\r\n".utf8)) {
                headerEnd = end.upperBound
                let head = String(decoding: received[..<end.lowerBound], as: UTF8.self).lowercased()
                let length = head.firstMatch(of: /content-length: (\d+)/).flatMap { Int($0.1) }
                expected = length ?? -1
            }
            if let expected, expected >= 0, received.count - headerEnd >= expected { return .complete }
        }
        guard let expected else { return received.isEmpty ? .refused : .truncated(received: received.count, expected: -1) }
        return .truncated(received: received.count - headerEnd, expected: expected)
    }
}
