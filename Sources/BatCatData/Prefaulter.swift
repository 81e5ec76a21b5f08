#if os(Linux)
import Glibc
import Synchronization

/// Maps fresh memory in ahead of its first use, on a thread that runs only when a core would otherwise
/// be idle.
///
/// A whole-file read writes every value into columns reserved for the whole file, and the kernel maps
/// (and zeroes) each of their pages on first touch: a fifth of the CPU time of reading the 200 MB
/// benchmark file went to those faults, taken by the threads that merge the parsed values. Meanwhile the
/// parsing threads leave the cores idle now and then (waiting for one another at the end of a block).
/// This thread asks the kernel to map the pages (`MADV_POPULATE_WRITE`, which never changes memory
/// already written) half a megabyte at a time, in the order the columns fill, under `SCHED_IDLE`, so it
/// takes only the idle time; whatever it has not reached yet faults as before. Hand-written because it
/// is two system calls and a thread.
final class Prefaulter: @unchecked Sendable {
    /// Page-aligned stretches to map.
    private let regions: [(start: UnsafeMutableRawPointer, length: Int)]
    private let cancelled = Atomic<Bool>(false)
    private var thread: pthread_t?

    /// Starts mapping `regions` (each shrunk to whole pages); does nothing when there is too little to
    /// be worth a thread or the thread cannot be made.
    init(regions: [UnsafeMutableRawBufferPointer]) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        self.regions = regions.compactMap { region in
            guard let base = region.baseAddress else { return nil }
            let start = (Int(bitPattern: base) + page - 1) / page * page
            let end = (Int(bitPattern: base) + region.count) / page * page
            guard end > start, let pointer = UnsafeMutableRawPointer(bitPattern: start) else { return nil }
            return (pointer, end - start)
        }
        guard self.regions.reduce(0, { $0 + $1.length }) >= Prefaulter.minimum else { return }
        // The thread holds the object until it is done; `stop()` waits for it.
        let context = Unmanaged.passRetained(self).toOpaque()
        var created = pthread_t()
        let status = pthread_create(
            &created, nil,
            { context in
                Unmanaged<Prefaulter>.fromOpaque(context!).takeRetainedValue().run()
                return nil
            }, context)
        if status == 0 {
            thread = created
        } else {
            Unmanaged<Prefaulter>.fromOpaque(context).release()
        }
    }

    /// Below this many bytes the faults cost less than starting a thread.
    static let minimum = 16 << 20
    /// Bytes mapped in one call (about a quarter of a millisecond), so that stopping waits for little even
    /// when busy cores leave this thread hardly any time.
    static let step = 512 << 10

    private func run() {
        var parameters = sched_param()
        // If the policy cannot be set, the thread runs at normal priority: still correct, less useful.
        // SCHED_IDLE is 5 (Glibc hides the name behind _GNU_SOURCE).
        _ = pthread_setschedparam(pthread_self(), 5, &parameters)
        var offset = 0
        while true {
            var mapped = false
            for region in regions where offset < region.length {
                if cancelled.load(ordering: .relaxed) { return }
                // MADV_POPULATE_WRITE (Linux 5.14); an older kernel refuses it, and then there is nothing to do.
                if madvise(region.start + offset, min(Prefaulter.step, region.length - offset), 23) != 0 && errno == EINVAL { return }
                mapped = true
            }
            guard mapped else { return }
            offset += Prefaulter.step
        }
    }

    /// Stops the thread and waits for it (at most one step); the regions may be freed after this.
    func stop() {
        cancelled.store(true, ordering: .relaxed)
        if let thread {
            pthread_join(thread, nil)
            self.thread = nil
        }
    }
}
#endif
