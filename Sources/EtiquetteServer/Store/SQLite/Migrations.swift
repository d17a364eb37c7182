import Foundation
import GRDB

/// Every table of the SQLite store, in one list: a migration is never edited once released,
/// only followed by another (GRDB records which ran).
///
/// Tables: `webhooks` (raw bodies, committed before the 200), `conversations`, `messages`
/// (the transcript and the outgoing queue), `conversation_labels` (with the reason as JSON),
/// `notes`, `read_state`, `decisions` (with the rule-set version), `members` (token hashes),
/// `event_requests` (idempotency keys), `search` (FTS5 over the transcript and contact names),
/// `webhook_deliveries` (the outbox), `pending_statuses`, `media`, `ai_requests`,
/// `ai_suggestions`, `notifications`, `message_failures`, `jobs`, `contact_keys`, and the web
/// inbox's `web_invitations`, `web_accounts` and `web_sessions`.
extension SQLiteStore {
  static var migrator: DatabaseMigrator {
    var migrator = DatabaseMigrator()
    migrator.registerMigration("v1") { db in
      try db.execute(
        sql: """
          CREATE TABLE webhooks (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            received_at REAL NOT NULL,
            body BLOB NOT NULL,
            processed_at REAL,
            error TEXT
          );
          CREATE INDEX webhooks_pending ON webhooks(id) WHERE processed_at IS NULL;
          CREATE TABLE conversations (
            id TEXT PRIMARY KEY,
            contact_id TEXT NOT NULL,
            phone TEXT,
            user_id TEXT,
            name TEXT,
            attributes TEXT NOT NULL DEFAULT '{}',
            mode TEXT NOT NULL,
            assignee TEXT,
            presence TEXT NOT NULL,
            team TEXT,
            priority TEXT NOT NULL,
            priority_rank INTEGER NOT NULL,
            version INTEGER NOT NULL,
            step_count INTEGER NOT NULL,
            last_step_time REAL,
            held_triggers TEXT NOT NULL DEFAULT '[]',
            transcript_count INTEGER NOT NULL DEFAULT 0,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
          );
          CREATE INDEX conversations_phone ON conversations(phone);
          CREATE INDEX conversations_user ON conversations(user_id);
          CREATE INDEX conversations_updated ON conversations(updated_at, id);
          CREATE TABLE messages (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            conversation_id TEXT NOT NULL REFERENCES conversations(id),
            seq INTEGER,
            direction TEXT NOT NULL,
            author TEXT NOT NULL,
            type TEXT,
            wire_type TEXT,
            text TEXT NOT NULL,
            attachments TEXT NOT NULL DEFAULT '[]',
            wa_id TEXT UNIQUE,
            context_id TEXT,
            status TEXT,
            errors TEXT,
            at REAL NOT NULL,
            raw TEXT
          );
          CREATE INDEX messages_conversation ON messages(conversation_id, id);
          CREATE TABLE conversation_labels (
            conversation_id TEXT NOT NULL REFERENCES conversations(id),
            label TEXT NOT NULL,
            reason TEXT NOT NULL,
            PRIMARY KEY (conversation_id, label)
          );
          CREATE INDEX labels_by_label ON conversation_labels(label, conversation_id);
          CREATE TABLE notes (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            conversation_id TEXT NOT NULL REFERENCES conversations(id),
            author TEXT NOT NULL,
            text TEXT NOT NULL,
            mentions TEXT NOT NULL DEFAULT '[]',
            at REAL NOT NULL
          );
          CREATE TABLE read_state (
            conversation_id TEXT NOT NULL REFERENCES conversations(id),
            member TEXT NOT NULL,
            read_count INTEGER NOT NULL,
            PRIMARY KEY (conversation_id, member)
          );
          CREATE TABLE decisions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            conversation_id TEXT NOT NULL REFERENCES conversations(id),
            step INTEGER NOT NULL,
            rule_set_version TEXT NOT NULL,
            document TEXT NOT NULL,
            at REAL NOT NULL
          );
          CREATE INDEX decisions_conversation ON decisions(conversation_id, step);
          CREATE TABLE members (
            email TEXT PRIMARY KEY,
            token_hash TEXT NOT NULL UNIQUE,
            created_at REAL NOT NULL,
            revoked_at REAL
          );
          CREATE TABLE event_requests (
            idempotency_key TEXT PRIMARY KEY,
            status INTEGER NOT NULL,
            response TEXT NOT NULL,
            at REAL NOT NULL
          );
          CREATE VIRTUAL TABLE search USING fts5(
            conversation_id UNINDEXED, kind UNINDEXED, text,
            tokenize = 'unicode61 remove_diacritics 2'
          );
          """)
    }
    // The outbox of outbound webhooks (see `WebhookOutbox`).
    migrator.registerMigration("webhooks-outbox-v1") { db in
      try db.execute(
        sql: """
          CREATE TABLE webhook_deliveries (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            subscription TEXT NOT NULL,
            conversation_id TEXT NOT NULL,
            event_type TEXT NOT NULL,
            event_id TEXT NOT NULL,
            body BLOB NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending',
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at REAL NOT NULL,
            last_status INTEGER,
            last_error TEXT,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            delivered_at REAL
          );
          CREATE INDEX webhook_deliveries_queue
            ON webhook_deliveries(subscription, conversation_id, seq) WHERE status = 'pending';
          CREATE INDEX webhook_deliveries_status ON webhook_deliveries(status, seq);
          """)
    }
    // Sending: the outgoing queue is `messages` itself; statuses ahead of their message; the
    // inbound media to download.
    migrator.registerMigration("sending-v1") { db in
      try db.execute(
        sql: """
          ALTER TABLE messages ADD COLUMN send_attempts INTEGER NOT NULL DEFAULT 0;
          ALTER TABLE messages ADD COLUMN next_attempt_at REAL;
          CREATE INDEX messages_outgoing ON messages(conversation_id, id)
            WHERE direction = 'out' AND status = 'queued';
          CREATE TABLE pending_statuses (
            wa_id TEXT NOT NULL,
            status TEXT NOT NULL,
            errors TEXT,
            at REAL NOT NULL,
            received_at REAL NOT NULL
          );
          CREATE INDEX pending_statuses_wa ON pending_statuses(wa_id);
          CREATE INDEX pending_statuses_age ON pending_statuses(received_at);
          CREATE TABLE media (
            id TEXT PRIMARY KEY,
            conversation_id TEXT NOT NULL REFERENCES conversations(id),
            message_wa_id TEXT,
            kind TEXT NOT NULL,
            declared_mime TEXT,
            declared_sha256 TEXT,
            status TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at REAL,
            mime_type TEXT,
            size INTEGER,
            sha256 TEXT,
            file TEXT,
            error TEXT,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
          );
          CREATE INDEX media_pending ON media(next_attempt_at) WHERE status = 'pending';
          """)
    }
    // The AI connector's requests and drafts, and each member's notifications.
    migrator.registerMigration("realtime-v1") { db in
      try db.execute(
        sql: """
          CREATE TABLE ai_requests (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            conversation_id TEXT NOT NULL REFERENCES conversations(id),
            kind TEXT NOT NULL,
            version INTEGER NOT NULL,
            status TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            error TEXT,
            next_attempt_at REAL NOT NULL,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
          );
          CREATE INDEX ai_requests_due ON ai_requests(status, next_attempt_at);
          CREATE INDEX ai_requests_conversation ON ai_requests(conversation_id, id);
          CREATE TABLE ai_suggestions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            conversation_id TEXT NOT NULL REFERENCES conversations(id),
            request_id INTEGER REFERENCES ai_requests(id),
            version INTEGER NOT NULL,
            text TEXT NOT NULL,
            created_at REAL NOT NULL
          );
          CREATE INDEX ai_suggestions_conversation ON ai_suggestions(conversation_id, id);
          CREATE TABLE notifications (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            member TEXT NOT NULL,
            conversation_id TEXT NOT NULL REFERENCES conversations(id),
            reason TEXT NOT NULL,
            team TEXT,
            priority TEXT NOT NULL,
            text TEXT NOT NULL,
            created_at REAL NOT NULL,
            read_at REAL
          );
          CREATE INDEX notifications_member ON notifications(member, id);
          CREATE INDEX notifications_unread ON notifications(member, conversation_id)
            WHERE read_at IS NULL;
          """)
    }
    // The body an Idempotency-Key was first used with, so a reuse with another body is refused.
    migrator.registerMigration("event-requests-body-hash") { db in
      try db.execute(sql: "ALTER TABLE event_requests ADD COLUMN body_sha256 TEXT")
    }
    // A message of a webhook body that could not be processed: kept with its reason (the body
    // itself stays in `webhooks`) and retried at the next start or rules reload.
    migrator.registerMigration("message-failures") { db in
      try db.execute(
        sql: """
          CREATE TABLE message_failures (
            webhook_id INTEGER NOT NULL REFERENCES webhooks(id),
            whatsapp_id TEXT NOT NULL,
            error TEXT NOT NULL,
            attempts INTEGER NOT NULL,
            failed_at REAL NOT NULL,
            resolved_at REAL,
            -- 0 for a message the body describes too poorly to ever apply (no id, no sender).
            retryable INTEGER NOT NULL DEFAULT 1,
            PRIMARY KEY (webhook_id, whatsapp_id)
          );
          CREATE INDEX message_failures_open ON message_failures(webhook_id)
            WHERE resolved_at IS NULL;
          """)
    }
    // Contact names in `search` keyed by their conversation's rowid, negated (see
    // `ConversationRecords.indexName`): the entries written before are rewritten once.
    migrator.registerMigration("search-names-by-rowid") { db in
      try db.execute(
        sql: """
          DELETE FROM search WHERE kind = 'name';
          INSERT INTO search (rowid, conversation_id, kind, text)
            SELECT -rowid, id, 'name', name FROM conversations WHERE name IS NOT NULL AND name != '';
          """)
    }
    // One queue for every kind of later work, with leases (see `Jobs+SQLite.swift`); the work
    // pending in the tables of the earlier per-worker queues becomes jobs once.
    migrator.registerMigration("jobs-v1") { db in
      try db.execute(
        sql: """
          CREATE TABLE jobs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL,
            subject TEXT NOT NULL,
            ordering_key TEXT,
            status TEXT NOT NULL DEFAULT 'pending',
            claims INTEGER NOT NULL DEFAULT 0,
            run_at REAL NOT NULL,
            lease_owner TEXT,
            lease_expires_at REAL,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
          );
          CREATE INDEX jobs_due ON jobs(kind, run_at);
          CREATE INDEX jobs_subject ON jobs(kind, subject);
          CREATE INDEX jobs_ordering ON jobs(ordering_key, id) WHERE ordering_key IS NOT NULL;
          CREATE INDEX jobs_owner ON jobs(lease_owner) WHERE lease_owner IS NOT NULL;
          INSERT INTO jobs (kind, subject, ordering_key, run_at, created_at, updated_at)
            SELECT 'webhook_delivery', id, 'webhook:' || subscription || ':' || conversation_id,
              next_attempt_at, created_at, updated_at
            FROM webhook_deliveries WHERE status = 'pending' ORDER BY seq;
          INSERT INTO jobs (kind, subject, ordering_key, run_at, created_at, updated_at)
            SELECT 'whatsapp_send', id, 'send:' || conversation_id,
              COALESCE(next_attempt_at, at), at, at
            FROM messages WHERE direction = 'out' AND status = 'queued' ORDER BY id;
          INSERT INTO jobs (kind, subject, ordering_key, run_at, created_at, updated_at)
            SELECT 'media_download', id, NULL, COALESCE(next_attempt_at, created_at), created_at,
              updated_at
            FROM media WHERE status = 'pending' ORDER BY created_at;
          UPDATE ai_requests SET status = 'pending' WHERE status = 'in_flight';
          INSERT INTO jobs (kind, subject, ordering_key, run_at, created_at, updated_at)
            SELECT 'ai_request', id, 'ai:' || conversation_id, next_attempt_at, created_at,
              updated_at
            FROM ai_requests WHERE status = 'pending' ORDER BY id;
          """)
    }
    // Each contact key (a phone, a user id) names one conversation, by a unique key rather than
    // a search before an insert, so that two writers racing on a new contact agree on one
    // conversation (see `ConversationRecords.findOrCreate`). Stores made before may hold two
    // conversations for one key: the oldest keeps it, as lookups already resolved it (they took
    // the oldest), and nothing is deleted — the younger one stays readable by its id.
    migrator.registerMigration("contact-keys-v1") { db in
      try db.execute(
        sql: """
          CREATE TABLE contact_keys (
            key TEXT PRIMARY KEY,
            conversation_id TEXT NOT NULL REFERENCES conversations(id)
          ) WITHOUT ROWID;
          CREATE INDEX contact_keys_conversation ON contact_keys(conversation_id);
          INSERT OR IGNORE INTO contact_keys (key, conversation_id)
            SELECT key, id FROM (
              SELECT 'phone:' || phone AS key, id, created_at, rowid AS r FROM conversations
                WHERE phone IS NOT NULL
              UNION ALL
              SELECT 'user:' || user_id, id, created_at, rowid FROM conversations
                WHERE user_id IS NOT NULL)
            ORDER BY created_at, r;
          """)
    }
    // The web inbox's sign-in (issue 16): one-time invitations, password hashes (a KDF's
    // output, never the password) and server-side sessions keyed by the hash of their cookie.
    migrator.registerMigration("web-sessions-v1") { db in
      try db.execute(
        sql: """
          CREATE TABLE web_invitations (
            token_hash TEXT PRIMARY KEY,
            email TEXT NOT NULL,
            expires_at REAL NOT NULL,
            used_at REAL,
            created_at REAL NOT NULL
          );
          CREATE TABLE web_accounts (
            email TEXT PRIMARY KEY,
            password_hash TEXT NOT NULL,
            updated_at REAL NOT NULL
          );
          CREATE TABLE web_sessions (
            id_hash TEXT PRIMARY KEY,
            email TEXT NOT NULL,
            created_at REAL NOT NULL,
            last_seen_at REAL NOT NULL
          );
          CREATE INDEX web_sessions_email ON web_sessions(email);
          """)
    }
    // The admin console's published rule versions (issue 17): author, time, message and
    // every file, so the history compares any two and rolls back to any one.
    migrator.registerMigration("rule-versions-v1") { db in
      try db.execute(
        sql: """
          CREATE TABLE rule_versions (
            number INTEGER PRIMARY KEY AUTOINCREMENT,
            author TEXT NOT NULL,
            at REAL NOT NULL,
            message TEXT NOT NULL,
            digest TEXT NOT NULL,
            files TEXT NOT NULL
          );
          """)
    }
    // The admin console's dashboard (issue 17): the member's action of each agent step, since a
    // decision's document says where a conversation went but not which handoff moved it (null
    // for every other step and for the steps stored before); and the times it counts days by.
    // The indexes on messages are partial, on the rows the dashboard reads.
    migrator.registerMigration("statistics-v1") { db in
      try db.execute(
        sql: """
          ALTER TABLE decisions ADD COLUMN action TEXT;
          CREATE INDEX decisions_at ON decisions(at);
          CREATE INDEX messages_in_at ON messages(at) WHERE direction = 'in';
          CREATE INDEX messages_replies_at ON messages(at)
            WHERE direction IN ('out', 'echo') AND author <> 'ai';
          CREATE INDEX notifications_created ON notifications(created_at);
          """)
    }
    // The input of every step (issue 17): the console's impact replay feeds stored traffic to
    // the code of `etiquette diff`. Steps taken before this migration are not replayed.
    migrator.registerMigration("step-inputs-v1") { db in
      try db.execute(
        sql: """
          CREATE TABLE step_inputs (
            conversation_id TEXT NOT NULL REFERENCES conversations(id),
            step INTEGER NOT NULL,
            at REAL NOT NULL,
            line TEXT NOT NULL,
            PRIMARY KEY (conversation_id, step)
          );
          CREATE INDEX step_inputs_at ON step_inputs(at);
          """)
    }
    return migrator
  }

}
