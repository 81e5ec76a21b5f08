import NIOCore

/// Holds a connection's close until the responses written on it have reached the socket.
///
/// Hummingbird closes a connection that is quiescing (the server is shutting down) straight after it hands the
/// last part of the response in flight to the channel. NIO then fails whatever of that response is still waiting
/// for the socket to drain, so a client of a large response (a `/batch` of 200,000 rows is 4 MB) got a short read
/// when SIGTERM came mid-write. Sitting between the HTTP codec and Hummingbird's connection handler, this handler
/// sees every response write and every close: a close waits until the writes before it have completed, or until
/// `grace` has passed (a client that stops reading cannot hold the shutdown for ever).
final class ResponseDrain: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = Any
    typealias OutboundOut = Any

    private let grace: TimeAmount
    private var pending = 0
    private var heldClose: (mode: CloseMode, promise: EventLoopPromise<Void>?)?
    private var deadline: Scheduled<Void>?

    init(grace: TimeAmount = .seconds(30)) {
        self.grace = grace
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        pending += 1
        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.hop(to: context.eventLoop).assumeIsolatedUnsafeUnchecked().whenComplete { result in
            self.pending -= 1
            promise?.completeWith(result)
            if self.pending == 0 { self.releaseClose(context) }
        }
        context.write(data, promise: written)
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard pending > 0, mode == .all, heldClose == nil else {
            context.close(mode: mode, promise: promise)
            return
        }
        heldClose = (mode, promise)
        deadline = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: grace) { self.releaseClose(context) }
    }

    private func releaseClose(_ context: ChannelHandlerContext) {
        guard let held = heldClose else { return }
        heldClose = nil
        deadline?.cancel()
        deadline = nil
        context.close(mode: held.mode, promise: held.promise)
    }
}
