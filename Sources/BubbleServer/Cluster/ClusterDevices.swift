internal import BubbleCore
internal import TimerDomain

/// Device identity across nodes: one device, one live socket in the cluster. A device that
/// connects to another node records `device_connected` there; when the event reaches this
/// node its socket here is replaced as a newer one here would replace it (a seed socket is
/// closed, an Android one detached — the app reconnects whenever a socket it opened closes,
/// and would bounce between the nodes).
enum ClusterDevices {
    static func replace(after events: [CommittedEvent], hub: ConnectionHub, linger: Double) {
        for e in events {
            guard case .deviceConnected(let user, let device, let connection, _) = e.event, !connection.hasPrefix(hub.node) else { continue }
            guard case .added(let close, let detached) = hub.connectedElsewhere(user: user, device: device) else { continue }
            for old in close { old.close(code: 1000, reason: "replaced by a newer connection of this device") }
            if let detached { hub.closeAfterLinger(detached, seconds: linger) }
        }
    }
}
