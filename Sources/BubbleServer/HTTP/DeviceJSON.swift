internal import TimerDomain

/// A user's devices as `GET /me` and `GET /me/devices` show them: every device the server
/// knows of (connected, registered for push, or with a zone), never a token itself.
enum DeviceJSON {
    static func list(_ state: UserState) -> [[String: Any]] {
        let devices = Set(state.connections.keys).union(state.deviceZones.keys).union(state.pushTargets.keys).sorted()
        return devices.map { device in
            var out: [String: Any] = ["deviceId": device, "connected": state.connections[device] != nil, "pushToken": state.pushTargets[device] != nil]
            if let target = state.pushTargets[device] { out["provider"] = target.provider.name }
            if let zone = state.deviceZones[device] { out["timeZone"] = zone }
            return out
        }
    }
}
