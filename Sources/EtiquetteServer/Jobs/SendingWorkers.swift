import Foundation

extension InboxServer {
  /// The sender and the media downloader; nil (messages stay `queued`, media `pending`) when
  /// `whatsapp` is not configured.
  func startSendingWorker() -> Task<Void, Never>? {
    guard let whatsapp = configuration.whatsapp else { return nil }
    let sender = OutgoingSender(
      store: store, hub: hub, rules: rules, whatsapp: whatsapp, logger: logger)
    let downloader = MediaDownloads(
      store: store, hub: hub, whatsapp: whatsapp, storage: configuration.media, logger: logger)
    return Task {
      // The hub has one signal for this worker: the sender wakes on it and passes the wake
      // on to the downloader, so new media (recorded at intake) start at once too.
      let mediaSignal = WakeSignal()
      await withTaskGroup(of: Void.self) { group in
        group.addTask { await sender.run(wakingAlso: mediaSignal) }
        group.addTask { await downloader.run(signal: mediaSignal) }
      }
    }
  }
}
