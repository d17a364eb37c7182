import Foundation
import GRDB
import Testing

@testable import EtiquetteServer

/// How the SQLite store sets up its connections, where the intake's speed depends on it.
@Suite struct SQLiteConnectionTests {
  @Test func savepointJournalsStayInMemoryOnEveryConnection() async throws {
    let path = FileManager.default.temporaryDirectory
      .appendingPathComponent("etiquette-connection-\(UUID().uuidString).db").path
    defer {
      for suffix in ["", "-wal", "-shm"] {
        try? FileManager.default.removeItem(atPath: path + suffix)
      }
    }
    let store = try SQLiteStore(path: path)
    // 2 = MEMORY: a savepoint's journal on disk cost a write system call per page it changed,
    // for every webhook of every round (issue 20's profile).
    let written = try await store.pool.write { db in
      try Int.fetchOne(db, sql: "PRAGMA temp_store")
    }
    let read = try await store.pool.read { db in try Int.fetchOne(db, sql: "PRAGMA temp_store") }
    #expect(written == 2)
    #expect(read == 2)
    let mode = try await store.pool.read { db in
      try String.fetchOne(db, sql: "PRAGMA journal_mode")
    }
    #expect(mode == "wal")
  }
}
