/// The whole storage interface on PostgreSQL (issue 15): what `InboxServer` assembles its
/// services from, as it does from SQLite. Each part is in its own file: intake and steps
/// (`Intake+`, `ConversationRecords+`, `ConversationChanges+`, `StepEffects+`), reads
/// (`Conversations+`, `Notifications+`, `History+`), the queues' workers (`DeliveryQueue+`,
/// `OutgoingQueue+`, `MediaQueue+`, `AIRequests+`, `AIConnectorReplies+`), the web inbox's
/// sessions and the console's statistics, and what instances share (`LiveRelay+`,
/// `ServedRules+`).
extension PostgresStore: WebhookInbox, ConversationStore, InboxStore, ServerStore {}
