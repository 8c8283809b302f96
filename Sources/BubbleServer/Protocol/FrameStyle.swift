/// How one connection wants its frames: the dialect, and the name of a timer's end (a seed
/// client that sends `endTime` gets `endTime` back), and for Android devices the zone ends
/// are shown in. Frames are rendered once per ``rendering``.
struct FrameStyle: Hashable, Sendable {
    var dialect: Dialect
    var endKey: TimerJSON.EndKey = .socket
    /// The zone an Android device's ends are rendered in (its `?tz=`, its user's zone, else
    /// the server's); seed clients get ends as they were sent, whatever it says.
    var zone: String?

    /// The style with only what changes the bytes: seed frames do not depend on the zone, so
    /// seed sockets in different zones share one rendering.
    var rendering: FrameStyle {
        dialect == .android ? self : FrameStyle(dialect: dialect, endKey: endKey, zone: nil)
    }
}
