// libFuzzer entry point for the CSV reader, compiled together with BatCatData's sources by
// scripts/fuzz. Any crash, sanitizer report or broken invariant stops the fuzzer with the input.

/// Reads `bytes` twice — with a tiny block (so records straddle blocks and the buffer grows) and with
/// one large block — and in chunks of three rows. All three must agree: the same frame, or the same error.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSV(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var small = CSVOptions()
    small.blockSize = 64
    small.threads = 1
    small.inferenceRows = 1
    var large = small
    large.blockSize = 1 << 20

    func outcome(_ options: CSVOptions) -> String {
        do {
            let frame = try CSVReader(options: options).read(stream: MemoryByteStream(bytes, name: "fuzz.csv"))
            var writer = CSVWriter(sink: MemoryByteSink())
            try writer.write(frame)
            return "ok \(frame.schema) \(writer.sink.text)"
        } catch {
            return "error \(error)"
        }
    }

    func chunked(_ options: CSVOptions) -> String {
        do {
            let reader = try CSVReader(options: options).chunks(stream: MemoryByteStream(bytes, name: "fuzz.csv"), rows: 3)
            var parts: [DataFrame] = []
            while let part = try reader.next() { parts.append(part) }
            let frame = parts.isEmpty ? DataFrame.empty(schema: reader.schema) : try DataFrame.concatenating(parts)
            var writer = CSVWriter(sink: MemoryByteSink())
            try writer.write(frame)
            return "ok \(frame.schema) \(writer.sink.text)"
        } catch {
            return "error \(error)"
        }
    }

    let a = outcome(small)
    let b = outcome(large)
    precondition(a == b, "block size changed the result:\n\(a)\n---\n\(b)")
    let c = chunked(large)
    if a.hasPrefix("ok") && c.hasPrefix("ok") {
        precondition(a == c, "chunked reading changed the result:\n\(a)\n---\n\(c)")
    }
    if a.hasPrefix("ok"), let frame = try? CSVReader(options: large).read(stream: MemoryByteStream(bytes)) {
        _ = try? frame.describe()
    }
    return 0
}
