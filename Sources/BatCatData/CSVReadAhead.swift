import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif


/// The bytes read so far and not yet parsed.
struct ByteWindow {
    var stream: any ByteStream
    var buffer: [UInt8]
    var filled = 0
    var consumed = 0
    var atEnd = false
    var totalBytes = 0
    /// Whether the buffer was just swapped for a prefetched one, so there is nothing to refill yet.
    var fresh = false
    /// Whether the unparsed bytes hold a quote, when known: the read-ahead looks while the bytes are
    /// hot, off the parsing threads' way; `nil` after a plain refill.
    var holdsQuotes: Bool?
    /// The read of the next block, once started, and the buffer it will reuse next time.
    private(set) var prefetch: ReadAhead?
    private var spare: [UInt8] = []

    /// The longest record the buffer grows to hold; a longer one is an error, at once.
    var maxRecordBytes = Int.max
    /// The line the unfinished record starts on (or after), for the error when it is too long.
    var recordLine = 1

    init(stream: any ByteStream, size: Int, maxRecordBytes: Int = .max) {
        self.stream = stream
        buffer = [UInt8](repeating: 0, count: max(size, 64))
        self.maxRecordBytes = maxRecordBytes
    }

    var name: String { stream.name }

    /// Moves the unparsed bytes to the front and reads until the buffer is full or the stream ends.
    /// A buffer holding only one unfinished record doubles, so a record of any length fits.
    mutating func refill() throws(DataError) {
        holdsQuotes = nil
        guard !atEnd else { return }
        if consumed > 0 {
            let remaining = filled - consumed
            buffer.withUnsafeMutableBytes { raw in
                raw.baseAddress!.copyMemory(from: raw.baseAddress! + consumed, byteCount: remaining)
            }
            filled = remaining
            consumed = 0
        } else if filled == buffer.count {
            guard buffer.count < maxRecordBytes else {
                throw DataError(
                    .malformedRow,
                    "\(name): the row starting on line \(recordLine)\(recordLine > 1 ? " or after it" : "") is longer than \(ByteWindow.size(maxRecordBytes)), the longest a row may be",
                    hints: [
                        "check that the file is CSV with line breaks between records, and that no quote is left open",
                        "to read longer rows, raise the limit (--max-row-mb, or read: {maxRowMB: …} in a spec)",
                    ])
            }
            buffer += [UInt8](repeating: 0, count: min(buffer.count, max(maxRecordBytes - buffer.count, 1)))
        }
        let read = try ByteWindow.fill(&buffer, from: filled, stream: &stream)
        filled += read.count
        totalBytes += read.count
        atEnd = read.atEnd
    }

    static func size(_ bytes: Int) -> String {
        bytes >= 1 << 20 && bytes % (1 << 20) == 0 ? "\(bytes >> 20) MiB" : "\(bytes) bytes"
    }

    /// Reads into `buffer` from `start` until it is full or the stream ends.
    private static func fill(
        _ buffer: inout [UInt8], from start: Int, stream: inout any ByteStream
    ) throws(DataError) -> (
        count: Int, atEnd: Bool
    ) {
        var filled = start
        var failure: DataError?
        let total = buffer.count
        let atEnd = buffer.withUnsafeMutableBytes { raw -> Bool in
            while filled < total {
                let count: Int
                do throws(DataError) {
                    count = try stream.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[filled...]))
                } catch {
                    failure = error
                    return true
                }
                if count == 0 { return true }
                filled += count
            }
            return false
        }
        if let failure { throw failure }
        return (filled - start, atEnd)
    }

    /// Sets up the read of the next block, for one of the threads that parse this one to do first (see
    /// ``ReadAhead``): the bytes from `start` on (an unfinished record) go to the front of a second buffer,
    /// and the stream fills the rest. ``adoptPrefetch()`` makes it the window. The stream belongs to the read
    /// until then.
    mutating func startPrefetch(keepingFrom start: Int) {
        guard !atEnd, prefetch == nil else { return }
        var next = spare.count == buffer.count ? spare : [UInt8](repeating: 0, count: buffer.count)
        spare = []
        let kept = filled - start
        buffer.withUnsafeBytes { source in
            next.withUnsafeMutableBytes { $0.baseAddress!.copyMemory(from: source.baseAddress! + start, byteCount: kept) }
        }
        // Handed over in a box the worker empties, so the buffer has one owner and filling it copies nothing.
        let box = Handover(Prefetched(buffer: next, kept: kept, stream: stream))
        next = []
        prefetch = ReadAhead { () throws(DataError) -> Prefetched in
            var job = box.take()
            let read = try ByteWindow.fill(&job.buffer, from: kept, stream: &job.stream)
            job.read = read.count
            job.atEnd = read.atEnd
            job.holdsQuotes = job.buffer.withUnsafeBytes { memchr($0.baseAddress!, Int32(UInt8(ascii: "\"")), kept + read.count) != nil }
            return job
        }
    }

    /// Takes the read set up by ``startPrefetch(keepingFrom:)``, if any (doing it now if no thread has), and
    /// makes its buffer the window.
    mutating func adoptPrefetch() throws(DataError) {
        guard let running = prefetch else { return }
        prefetch = nil
        let job = try running.value()
        stream = job.stream
        spare = buffer
        buffer = job.buffer
        filled = job.kept + job.read
        consumed = 0
        atEnd = job.atEnd
        totalBytes += job.read
        holdsQuotes = job.holdsQuotes
        fresh = true
    }

    /// Waits for a running read without using it (before reporting an error).
    mutating func cancelPrefetch() {
        guard let running = prefetch else { return }
        prefetch = nil
        if let job = try? running.value() { stream = job.stream }
    }
}

/// The read of a block, done once by whichever thread comes first: one of the threads that parse the block
/// before it, as a piece of that work, or the reader when it needs the bytes. A read on a thread of its own
/// competed with the parsing threads for the cores and was often not done when they were (measured: the
/// parse waited 4-12 ms a run of the benchmark file).
final class ReadAhead: @unchecked Sendable {
    private let work: @Sendable () throws(DataError) -> Prefetched
    private let started = Atomic<Bool>(false)
    private let finished = DispatchGroup()
    // Written once by the thread that runs the work, before it leaves the group; read after waiting on it.
    private var result: Result<Prefetched, DataError>?

    init(_ work: @escaping @Sendable () throws(DataError) -> Prefetched) {
        self.work = work
        finished.enter()
    }

    /// Does the read, unless another thread has started it.
    func run() {
        guard !started.exchange(true, ordering: .acquiringAndReleasing) else { return }
        do throws(DataError) {
            result = .success(try work())
        } catch {
            result = .failure(error)
        }
        finished.leave()
    }

    /// The read's result, once done (by this thread if no other has started it).
    func value() throws(DataError) -> Prefetched {
        run()
        finished.wait()
        return try result!.get()
    }
}

/// A value moved to another thread: the box gives it up once.
private final class Handover<Value>: @unchecked Sendable {
    private var value: Value?

    init(_ value: Value) {
        self.value = value
    }

    func take() -> Value {
        defer { value = nil }
        return value!
    }
}

/// A block read ahead.
struct Prefetched {
    var buffer: [UInt8]
    let kept: Int
    var stream: any ByteStream
    var read = 0
    var atEnd = false
    var holdsQuotes = true
}
