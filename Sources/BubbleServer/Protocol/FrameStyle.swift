/// How one connection wants its frames: the dialect, and the name of a timer's end (a seed
/// client that sends `endTime` gets `endTime` back). Frames are rendered once per style.
struct FrameStyle: Hashable, Sendable {
    var dialect: Dialect
    var endKey: TimerJSON.EndKey = .socket
}
