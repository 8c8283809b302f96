internal import CoreMetrics
internal import Foundation
internal import Synchronization
internal import NIOCore
internal import TimerDomain
internal import BubbleCore
internal import Sockets

/// The anonymous read-only sockets on public links, by timer and token. They are not users'
/// connections: nothing about them is logged as an event; they are counted in `/metrics`.
final class PublicViewers: Sendable {
    private struct Viewer: Sendable {
        let token: String
        let socket: Socket
    }

    private let viewers = Mutex<[TimerID: [ObjectIdentifier: Viewer]]>([:])
    let maxPerLink: Int
    private let metrics: ServerMetrics

    init(maxPerLink: Int, metrics: ServerMetrics) {
        self.maxPerLink = maxPerLink
        self.metrics = metrics
    }

    /// Adds a viewer unless its link already has `maxPerLink`.
    func add(_ socket: Socket, token: String, timer: TimerID) -> Bool {
        let added = viewers.withLock { all -> Bool in
            let onLink = all[timer, default: [:]].values.filter { $0.token == token }.count
            guard onLink < maxPerLink else { return false }
            all[timer, default: [:]][ObjectIdentifier(socket)] = Viewer(token: token, socket: socket)
            return true
        }
        if added { metrics.publicViewerOpened() }
        record()
        return added
    }

    func remove(_ socket: Socket, timer: TimerID) {
        viewers.withLock { all in
            all[timer]?[ObjectIdentifier(socket)] = nil
            if all[timer]?.isEmpty == true { all[timer] = nil }
        }
        record()
    }

    func count(token: String, timer: TimerID) -> Int {
        viewers.withLock { $0[timer]?.values.filter { $0.token == token }.count ?? 0 }
    }

    private func record() { metrics.publicViewers.record(viewers.withLock { $0.values.reduce(0) { $0 + $1.count } }) }

    /// On the writer thread after a commit: each timer change goes to its viewers as one
    /// frame rendered once; a stop or a revoked link closes them.
    func publish(_ events: [CommittedEvent]) {
        let watched = viewers.withLock { Set($0.keys) }
        guard !watched.isEmpty else { return }
        for e in events {
            guard let id = e.event.timerID, watched.contains(id) else { continue }
            let current = viewers.withLock { Array(($0[id] ?? [:]).values) }
            switch e.event {
            case .timerStopped:
                let bytes = ByteBuffer(bytes: JSON.data(["type": "stopped", "serverTime": currentMilliseconds()]))
                for viewer in current {
                    viewer.socket.send(bytes)
                    viewer.socket.close(code: 1000, reason: "timer stopped")
                }
            case .publicLinkRevoked(_, let token):
                for viewer in current where viewer.token == token { viewer.socket.close(code: 4004, reason: "link revoked") }
            case .publicLinkCreated, .reminderSet, .reminderCancelled, .reminderFired, .timerShared, .timerUnshared:
                break  // nothing a viewer sees changed
            default:
                guard let row = e.timerAfter else { continue }
                let bytes = ByteBuffer(bytes: JSON.data(PublicTimer.frame(row)))
                for viewer in current { viewer.socket.send(bytes) }
            }
        }
    }
}
