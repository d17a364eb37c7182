import Hummingbird
import NIOCore

/// Hummingbird's basic context plus the peer's address, which the web sign-in counts failed
/// attempts by.
public struct InboxRequestContext: RemoteAddressRequestContext {
  public var coreContext: CoreRequestContextStorage
  public let remoteAddress: SocketAddress?

  public init(source: ApplicationRequestContextSource) {
    coreContext = .init(source: source)
    remoteAddress = source.channel.remoteAddress
  }
}
