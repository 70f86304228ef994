-- The experiment history: experiments group runs; a run is one job (fine-tune,
-- sweep trial, quantization, benchmark, trace import, self-test).
CREATE TABLE experiments (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL DEFAULT '',
  created_at  TEXT NOT NULL
);

CREATE TABLE sweeps (
  id            INTEGER PRIMARY KEY,
  experiment_id INTEGER REFERENCES experiments(id) ON DELETE SET NULL,
  name          TEXT NOT NULL,
  method        TEXT NOT NULL,
  config_json   TEXT NOT NULL,
  status        TEXT NOT NULL,
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL
);

CREATE TABLE runs (
  id               INTEGER PRIMARY KEY,
  experiment_id    INTEGER REFERENCES experiments(id) ON DELETE SET NULL,
  sweep_id         INTEGER REFERENCES sweeps(id) ON DELETE SET NULL,
  kind             TEXT NOT NULL,
  name             TEXT NOT NULL,
  status           TEXT NOT NULL CHECK (status IN ('queued','running','completed','failed','cancelled','crashed')),
  config_json      TEXT NOT NULL DEFAULT '{}',
  summary_json     TEXT NOT NULL DEFAULT '{}',
  error            TEXT,
  progress         REAL,
  progress_message TEXT,
  eta_seconds      REAL,
  host_pid         INTEGER,
  job_pid          INTEGER,
  created_at       TEXT NOT NULL,
  started_at       TEXT,
  ended_at         TEXT
);
CREATE INDEX runs_by_created ON runs(created_at);
CREATE INDEX runs_by_status ON runs(status);
CREATE INDEX runs_by_sweep ON runs(sweep_id);

CREATE TABLE params (
  run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  key        TEXT NOT NULL,
  value_json TEXT NOT NULL,
  PRIMARY KEY (run_id, key)
) WITHOUT ROWID;
CREATE INDEX params_by_key ON params(key, value_json);

-- value is NULL when the job reported a non-finite number (SQLite has no NaN).
CREATE TABLE metrics (
  run_id    INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  key       TEXT NOT NULL,
  step      INTEGER NOT NULL,
  value     REAL,
  wall_time REAL NOT NULL
);
CREATE INDEX metrics_by_run_key_step ON metrics(run_id, key, step);

CREATE TABLE artifacts (
  id         INTEGER PRIMARY KEY,
  run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  kind       TEXT NOT NULL,
  path       TEXT NOT NULL,
  bytes      INTEGER NOT NULL,
  sha256     TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX artifacts_by_run ON artifacts(run_id);

CREATE TABLE trials (
  id          INTEGER PRIMARY KEY,
  sweep_id    INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
  run_id      INTEGER REFERENCES runs(id) ON DELETE SET NULL,
  params_json TEXT NOT NULL,
  status      TEXT NOT NULL,
  created_at  TEXT NOT NULL
);
CREATE INDEX trials_by_sweep ON trials(sweep_id);

CREATE TABLE benchmarks (
  id           INTEGER PRIMARY KEY,
  run_id       INTEGER REFERENCES runs(id) ON DELETE CASCADE,
  name         TEXT NOT NULL,
  config_json  TEXT NOT NULL,
  results_json TEXT NOT NULL,
  created_at   TEXT NOT NULL
);

CREATE TABLE traces (
  id           INTEGER PRIMARY KEY,
  run_id       INTEGER REFERENCES runs(id) ON DELETE SET NULL,
  name         TEXT NOT NULL,
  path         TEXT NOT NULL,
  bytes        INTEGER NOT NULL,
  sha256       TEXT NOT NULL,
  events       INTEGER,
  summary_json TEXT NOT NULL DEFAULT '{}',
  created_at   TEXT NOT NULL
);
