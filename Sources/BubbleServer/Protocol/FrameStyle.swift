/// How one connection wants its frames: the dialect, and the name of a timer's end (a seed
/// client that sends `endTime` gets `endTime` back). Frames are rendered once per style.
/// (and, for Android devices, per zone).
struct FrameStyle: Hashable, Sendable {
    var dialect: Dialect
    var endKey: TimerJSON.EndKey = .socket
    /// The zone an Android device's ends are rendered in (its `?tz=`, its user's zone, else
    /// the server's); `nil` for seed clients, which get ends as they were sent.
    var zone: String?
}
