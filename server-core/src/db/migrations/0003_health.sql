-- One row that a readiness probe rewrites: proof that a write reaches the
-- disk (a full disk or a read-only mount fails it).
CREATE TABLE health (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    checked_at TEXT NOT NULL
);
