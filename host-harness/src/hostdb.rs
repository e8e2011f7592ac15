//! The simulated platforms' own database (not the component's store): the effect log
//! every view is derived from, the copies of recordings the platform still owes, and the
//! harness's settings (virtual clock, admin choices).

use crate::effects::{Effect, Logged};
use anyhow::{Context as _, Result};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

/// A recording the platform was asked to copy and has not copied yet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OwedCopy {
    pub recording: String,
    pub url: String,
    /// Failed downloads so far.
    pub attempts: u32,
    pub last_error: Option<String>,
    /// Not tried again before this time (ms since the epoch, the harness's clock).
    pub next_try_at: i64,
}

pub struct HostDb {
    conn: Mutex<Connection>,
}

impl HostDb {
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let conn = Connection::open(path).with_context(|| format!("opening {}", path.display()))?;
        Self::init(conn)
    }

    pub fn in_memory() -> Result<Self> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(conn: Connection) -> Result<Self> {
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // The simulated screens: a process crash loses nothing committed; a power cut
        // may lose the last few (WAL's NORMAL).
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS effects (
                 seq INTEGER PRIMARY KEY AUTOINCREMENT, platform TEXT NOT NULL, at INTEGER NOT NULL, body TEXT NOT NULL);
             CREATE INDEX IF NOT EXISTS effects_platform ON effects (platform, seq);
             CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS bell_read (
                 platform TEXT NOT NULL, user TEXT NOT NULL, seq INTEGER NOT NULL,
                 PRIMARY KEY (platform, user, seq));
             CREATE TABLE IF NOT EXISTS owed_copies (
                 recording TEXT PRIMARY KEY, platform TEXT NOT NULL, url TEXT NOT NULL,
                 attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT,
                 next_try_at INTEGER NOT NULL DEFAULT 0, claimed_until INTEGER NOT NULL DEFAULT 0,
                 claimed_by TEXT);
             CREATE TABLE IF NOT EXISTS copy_names (recording TEXT PRIMARY KEY, name TEXT NOT NULL);",
        )?;
        // A data folder from an earlier version has the table without its later columns.
        let columns: Vec<String> = conn
            .prepare("SELECT name FROM pragma_table_info('owed_copies')")?
            .query_map([], |row| row.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for (column, definition) in [
            ("attempts", "INTEGER NOT NULL DEFAULT 0"),
            ("last_error", "TEXT"),
            ("next_try_at", "INTEGER NOT NULL DEFAULT 0"),
            ("claimed_until", "INTEGER NOT NULL DEFAULT 0"),
            ("claimed_by", "TEXT"),
        ] {
            if !columns.iter().any(|c| c == column) {
                conn.execute_batch(&format!("ALTER TABLE owed_copies ADD COLUMN {column} {definition}"))?;
            }
        }
        Ok(HostDb { conn: Mutex::new(conn) })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Logs a call's effects. A copy the component asks for is owed from the same
    /// transaction on, so that a crash right after the call cannot lose it.
    pub fn append(&self, platform: &str, at: i64, effects: &[Effect]) -> Result<()> {
        if effects.is_empty() {
            return Ok(());
        }
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        for e in effects {
            tx.execute(
                "INSERT INTO effects (platform, at, body) VALUES (?1, ?2, ?3)",
                params![platform, at, serde_json::to_string(e)?],
            )?;
            if let Effect::Archive { recording, url, .. } = e {
                owe(&tx, platform, recording, url)?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// A copy the component asked for is owed, from now on.
    pub fn owe_copy(&self, platform: &str, recording: &str, url: &str) -> Result<()> {
        owe(&self.conn(), platform, recording, url)
    }

    /// The user has read these bell notifications (by their place in the log).
    pub fn mark_read(&self, platform: &str, user: &str, seqs: &[i64]) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        for seq in seqs {
            tx.execute(
                "INSERT OR IGNORE INTO bell_read (platform, user, seq) VALUES (?1, ?2, ?3)",
                params![platform, user, seq],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The bell notifications a user has read.
    pub fn read_notifications(&self, platform: &str, user: &str) -> Result<std::collections::HashSet<i64>> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT seq FROM bell_read WHERE platform = ?1 AND user = ?2")?;
        let rows = stmt.query_map(params![platform, user], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The copies of recordings a platform has been asked for and not yet made, oldest first.
    pub fn owed_copies(&self, platform: &str) -> Result<Vec<OwedCopy>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT recording, url, attempts, last_error, next_try_at FROM owed_copies
             WHERE platform = ?1 ORDER BY rowid",
        )?;
        let rows = stmt.query_map(params![platform], |r| {
            Ok(OwedCopy {
                recording: r.get(0)?,
                url: r.get(1)?,
                attempts: r.get(2)?,
                last_error: r.get(3)?,
                next_try_at: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Claims the making of a copy until `until` (real time in ms, not the platform's
    /// clock: a download takes real time), unless a claim runs at `now`: of the
    /// processes sharing this database, one downloads it. The claim is short and
    /// renewed while the download goes on ([`HostDb::renew_copy_claim`]), so that a
    /// process that dies with it leaves the copy to the others, or to itself restarted,
    /// within minutes.
    ///
    /// `due` is the platform's time: a copy whose next try another process has just put
    /// off (`next_try_at`) is not claimed before it. `by` names the claimant, whose
    /// renewal, failure or release touch only a claim still theirs.
    pub fn claim_copy(&self, recording: &str, due: i64, now: i64, until: i64, by: &str) -> Result<bool> {
        let claimed = self.conn().execute(
            "UPDATE owed_copies SET claimed_until = ?3, claimed_by = ?5
             WHERE recording = ?1 AND claimed_until <= ?2 AND next_try_at <= ?4",
            params![recording, now, until, due, by],
        )?;
        Ok(claimed == 1)
    }

    /// Extends `by`'s claim on a copy until `until`. Answers whether the claim was still
    /// theirs: one that lapsed (the process stood still past it) may be another's now.
    pub fn renew_copy_claim(&self, recording: &str, until: i64, by: &str) -> Result<bool> {
        let renewed = self.conn().execute(
            "UPDATE owed_copies SET claimed_until = ?2
             WHERE recording = ?1 AND claimed_until > 0 AND claimed_by = ?3",
            params![recording, until, by],
        )?;
        Ok(renewed == 1)
    }

    /// Until when (real time in ms) a copy is claimed: 0 when it is not, none when it is
    /// not owed.
    pub fn copy_claimed_until(&self, recording: &str) -> Result<Option<i64>> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT claimed_until FROM owed_copies WHERE recording = ?1")?;
        let mut rows = stmt.query(params![recording])?;
        Ok(match rows.next()? {
            Some(row) => Some(row.get(0)?),
            None => None,
        })
    }

    /// Gives up `by`'s claim on a copy, which stays owed as it was.
    pub fn unclaim_copy(&self, recording: &str, by: &str) -> Result<()> {
        self.conn().execute(
            "UPDATE owed_copies SET claimed_until = 0 WHERE recording = ?1 AND claimed_by = ?2",
            params![recording, by],
        )?;
        Ok(())
    }

    /// A copy is made (or can no longer be: JaaS deleted the recording).
    pub fn settle_copy(&self, recording: &str) -> Result<()> {
        self.conn().execute("DELETE FROM owed_copies WHERE recording = ?1", params![recording])?;
        Ok(())
    }

    /// `attempts` more downloads of a copy failed under `by`'s claim, the last with
    /// `error`; it stays owed, unclaimed, and is not tried again before `next_try_at`. A
    /// claim lost meanwhile leaves the copy to its new claimant, untouched.
    pub fn copy_failed(
        &self,
        recording: &str,
        by: &str,
        attempts: u32,
        error: &str,
        next_try_at: i64,
    ) -> Result<()> {
        self.conn().execute(
            "UPDATE owed_copies SET attempts = attempts + ?2, last_error = ?3, next_try_at = ?4,
             claimed_until = 0 WHERE recording = ?1 AND claimed_by = ?5",
            params![recording, attempts, error, next_try_at, by],
        )?;
        Ok(())
    }

    /// Whether either platform has shown anything yet (a fresh data folder has not).
    pub fn has_effects(&self) -> Result<bool> {
        Ok(self.conn().query_row("SELECT EXISTS (SELECT 1 FROM effects)", [], |r| r.get(0))?)
    }

    /// Every effect of a platform, oldest first.
    pub fn effects(&self, platform: &str) -> Result<Vec<Logged>> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT seq, at, body FROM effects WHERE platform = ?1 ORDER BY seq")?;
        let rows = stmt.query_map(params![platform], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, at, body) = row?;
            out.push(Logged { seq, at, effect: serde_json::from_str(&body)? });
        }
        Ok(out)
    }

    /// Notes the name Files shows for the kept copy of `recording`: the name the copy
    /// downloads under.
    pub fn name_copy(&self, recording: &str, name: &str) -> Result<()> {
        self.conn().execute(
            "INSERT INTO copy_names (recording, name) VALUES (?1, ?2)
             ON CONFLICT (recording) DO UPDATE SET name = excluded.name",
            params![recording, name],
        )?;
        Ok(())
    }

    /// The name the kept copy of `recording` downloads under (none for a copy made
    /// before names were noted).
    pub fn name_of_copy(&self, recording: &str) -> Result<Option<String>> {
        Ok(self
            .conn()
            .query_row("SELECT name FROM copy_names WHERE recording = ?1", params![recording], |r| r.get(0))
            .optional()?)
    }

    /// Forgets the name of a copy released at the end of its retention.
    pub fn forget_copy_name(&self, recording: &str) -> Result<()> {
        self.conn().execute("DELETE FROM copy_names WHERE recording = ?1", params![recording])?;
        Ok(())
    }

    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn()
            .query_row("SELECT value FROM settings WHERE key = ?1", params![key], |r| r.get(0))
            .optional()?)
    }

    pub fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        self.conn().execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    pub fn clear_setting(&self, key: &str) -> Result<()> {
        self.conn().execute("DELETE FROM settings WHERE key = ?1", params![key])?;
        Ok(())
    }
}

/// Owes the copy of `recording` (again: the same request twice is one owed copy).
fn owe(conn: &Connection, platform: &str, recording: &str, url: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO owed_copies (recording, platform, url) VALUES (?1, ?2, ?3)
         ON CONFLICT (recording) DO UPDATE SET url = excluded.url",
        params![recording, platform, url],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A data folder written before copies had retries opens, and owes copies again.
    #[test]
    fn an_earlier_versions_database_gets_the_later_columns() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("platform.db");
        Connection::open(&path)
            .unwrap()
            .execute_batch("CREATE TABLE owed_copies (recording TEXT PRIMARY KEY, platform TEXT NOT NULL, url TEXT NOT NULL)")
            .unwrap();
        let db = HostDb::open(&path).unwrap();
        db.owe_copy("erp", "rec-1", "https://rec.example/1.mp4").unwrap();
        let owed = db.owed_copies("erp").unwrap();
        assert_eq!((owed.len(), owed[0].attempts), (1, 0));
    }
}
