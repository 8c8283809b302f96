/// The data directory every tool defaults to: the server's embedded default.
public let defaultDataDirectory = "./data"
