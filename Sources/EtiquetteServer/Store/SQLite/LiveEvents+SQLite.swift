import EtiquetteChecker
import EtiquetteEngine
import Foundation
import GRDB

extension LiveEvents {
  /// Publishes the step's events after its commit, to the members who may view the
  /// conversation with the labels it has after the step.
  static func publish(_ effects: StepEffects, in db: Database, hub: IntegrationHub) throws {
    // Nobody connected: skip encoding the events on the intake's hot path. A client that
    // connects meanwhile gets the next change (and loads the list when it connects anyway).
    guard hub.live.subscriberCount > 0 else { return nobodyListens(db, hub: hub) }
    let events = events(of: effects)
    guard !events.isEmpty else { return }
    let before = effects.before.conversation
    let audience = LiveAudience.viewers(
      engine: effects.rules.engine, before: before.stepCount == 0 ? nil : before.labelSet,
      after: effects.after.labelSet)
    let live = hub.live
    db.afterNextTransaction { _ in live.publish(events, to: audience) }
  }

  /// A change nobody is connected to hear is still counted, once committed, for the pages
  /// about to connect (`LiveStream.changeMark`); a stream resuming from before it is told to
  /// reload, since its events were never made.
  static func nobodyListens(_ db: Database, hub: IntegrationHub) {
    let live = hub.live
    db.afterNextTransaction { _ in live.recordUnpublishedChange() }
  }

  /// A member marked a conversation read or unread (not a step): their own clients are told.
  static func readStateChanged(
    conversation: String, member: String, unreadCount: Int, in db: Database, hub: IntegrationHub
  ) {
    let event = readStateEvent(
      conversation: conversation, member: member, unreadCount: unreadCount)
    let live = hub.live
    db.afterNextTransaction { _ in
      live.publish([event], to: .member(member), countsAsChange: false)
    }
  }

  /// A message's delivery status changed (a WhatsApp status webhook, a send that failed): the
  /// members who may view its conversation see it after the commit. `messageID` is `messages.id`.
  static func messageStatusChanged(
    messageID: Int64, in db: Database, rules: LoadedRules, hub: IntegrationHub
  ) throws {
    guard hub.live.subscriberCount > 0 else { return nobodyListens(db, hub: hub) }
    guard
      let row = try Row.fetchOne(
        db, sql: "SELECT conversation_id, status, errors FROM messages WHERE id = ?",
        arguments: [messageID])
    else { return }
    let conversation: String = row["conversation_id"]
    let labels = ConversationService.labelIDs(
      try ConversationQueries.labels(db, id: conversation), ruleSet: rules.ruleSet)
    let event = messageStatusEvent(
      conversation: conversation, message: messageID, status: row["status"],
      errors: row["errors"])
    let live = hub.live
    let audience = LiveAudience.viewers(engine: rules.engine, before: labels, after: labels)
    db.afterNextTransaction { _ in live.publish([event], to: audience) }
  }

  /// The same for a status reported by WhatsApp, by the message's WhatsApp id.
  static func messageStatusChanged(
    whatsappID: String, in db: Database, rules: LoadedRules, hub: IntegrationHub
  ) throws {
    guard
      let id = try Int64.fetchOne(
        db, sql: "SELECT id FROM messages WHERE wa_id = ?", arguments: [whatsappID])
    else { return }
    try messageStatusChanged(messageID: id, in: db, rules: rules, hub: hub)
  }

  /// An event about a conversation, to its current viewers, after the commit (suggestions).
  static func publishToViewers(
    _ event: LiveEvent, conversation: String, in db: Database, rules: LoadedRules,
    hub: IntegrationHub
  ) throws {
    let labels = ConversationService.labelIDs(
      try ConversationQueries.labels(db, id: conversation), ruleSet: rules.ruleSet)
    let live = hub.live
    let audience = LiveAudience.viewers(engine: rules.engine, before: labels, after: labels)
    db.afterNextTransaction { _ in live.publish([event], to: audience) }
  }
}
