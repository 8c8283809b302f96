/// The two wire dialects served on one endpoint. A connection speaks the dialect of its
/// first frame; until it has sent one, the handshake decides (the Android app sends a
/// `User-Agent: BubbleTimer-Android/…` and no query).
public enum Dialect: String, Sendable {
    /// `{type, action, …}` frames from the seed protocol, with request ids, results and resume.
    case seed
    /// The deployed Android app: `{"action":"sendmessage","data":{type: updateTimer|…}}`.
    case android
}
