//! Users, the desk's sessions and the audit log, written once as SQL both
//! databases run, beside the queue's tables and on its pools.
//!
//! `users` keeps each user's role and the SHA-256 of its API token;
//! `sessions` the SHA-256 of each session id with its CSRF token and expiry
//! (milliseconds of the database's clock); neither holds a secret a reader of
//! the database could log in with. `audit_log` is append-only: nothing here
//! updates or deletes its rows, and its `seq` is numbered by the database.
//! (On PostgreSQL a `BIGSERIAL` is drawn when a row is inserted, so while two
//! writers' transactions are open a reader may see the later number before
//! the earlier one commits; an exporter that pages by `seq` reads again from
//! its last line a moment later.)

use std::time::Duration;

use super::sql::{millis, Backend, Db, Fields, Stmt};
use super::{AuditEntry, NewAudit, QueueError, Role, Session, Staff, User};

const USER_COLUMNS: &str = "name, role, disabled, created_at";

const AUDIT_COLUMNS: &str = "seq, at, actor, action, subject, before_json, after_json";

fn user(row: &impl Fields) -> Result<User, QueueError> {
    Ok(User {
        name: row.text("name")?,
        role: Role::parse(&row.text("role")?)?,
        disabled: row.int("disabled")? != 0,
        created_at: row.int("created_at")?,
    })
}

/// A JSON column read back.
fn json(row: &impl Fields, column: &str) -> Result<Option<serde_json::Value>, QueueError> {
    row.maybe_text(column)?
        .map(|text| {
            serde_json::from_str(&text)
                .map_err(|e| QueueError::Corrupt(format!("audit {column} is not JSON: {e}")))
        })
        .transpose()
}

fn audit_entry(row: &impl Fields) -> Result<AuditEntry, QueueError> {
    Ok(AuditEntry {
        seq: row.int("seq")?,
        at: row.int("at")?,
        actor: row.text("actor")?,
        action: row.text("action")?,
        subject: row.text("subject")?,
        before: json(row, "before_json")?,
        after: json(row, "after_json")?,
    })
}

impl<B: Backend> Staff for B {
    async fn add_user(
        &self,
        name: &str,
        role: Role,
        token_sha256: &str,
    ) -> Result<User, QueueError> {
        let insert = Stmt::new(format!(
            "INSERT INTO users (name, role, token_sha256, disabled, created_at)
             VALUES ($1, $2, $3, 0, {})
             ON CONFLICT DO NOTHING
             RETURNING {USER_COLUMNS}",
            B::NOW_SECS
        ))
        .text(name)
        .text(role.as_str())
        .text(token_sha256);
        match self.db().fetch_optional(None, insert).await? {
            Some(row) => user(&row),
            None => Err(QueueError::Conflict(format!(
                "a user named `{name}` already exists; choose another name"
            ))),
        }
    }

    async fn users(&self) -> Result<Vec<User>, QueueError> {
        let select = Stmt::new(format!("SELECT {USER_COLUMNS} FROM users ORDER BY name"));
        self.db()
            .fetch_all(select)
            .await?
            .iter()
            .map(user)
            .collect()
    }

    async fn disable_user(&self, name: &str) -> Result<Option<User>, QueueError> {
        let db = self.db();
        // The first statement writes, so SQLite takes the write lock up front.
        let mut tx = db.begin().await?;
        let disable = Stmt::new(format!(
            "UPDATE users SET disabled = 1 WHERE name = $1 RETURNING {USER_COLUMNS}"
        ))
        .text(name);
        let Some(row) = db.fetch_optional(Some(&mut tx), disable).await? else {
            return Ok(None);
        };
        let end_sessions = Stmt::new("DELETE FROM sessions WHERE user_name = $1").text(name);
        db.execute(Some(&mut tx), end_sessions).await?;
        B::Db::commit(tx).await?;
        user(&row).map(Some)
    }

    async fn user_for_token(&self, token_sha256: &str) -> Result<Option<User>, QueueError> {
        let select = Stmt::new(format!(
            "SELECT {USER_COLUMNS} FROM users WHERE token_sha256 = $1 AND disabled = 0"
        ))
        .text(token_sha256);
        let row = self.db().fetch_optional(None, select).await?;
        row.as_ref().map(user).transpose()
    }

    async fn open_session(
        &self,
        session_sha256: &str,
        user: &str,
        csrf_token: &str,
        ttl: Duration,
    ) -> Result<(), QueueError> {
        let db = self.db();
        let mut tx = db.begin().await?;
        let expired = Stmt::new(format!(
            "DELETE FROM sessions WHERE expires_at_ms <= {}",
            B::NOW_MS
        ));
        db.execute(Some(&mut tx), expired).await?;
        let insert = Stmt::new(format!(
            "INSERT INTO sessions (id_sha256, user_name, csrf_token, created_at, expires_at_ms)
             SELECT $1, name, $2, {}, {} + $3 FROM users WHERE name = $4 AND disabled = 0
             RETURNING id_sha256",
            B::NOW_SECS,
            B::NOW_MS
        ))
        .text(session_sha256)
        .text(csrf_token)
        .int(millis(ttl))
        .text(user);
        if db.fetch_optional(Some(&mut tx), insert).await?.is_none() {
            return Err(QueueError::Conflict(format!(
                "`{user}` is not an enabled user; no session was opened"
            )));
        }
        B::Db::commit(tx).await
    }

    async fn session(&self, session_sha256: &str) -> Result<Option<Session>, QueueError> {
        let select = Stmt::new(format!(
            "SELECT u.name, u.role, u.disabled, u.created_at, s.csrf_token, s.expires_at_ms
             FROM sessions s JOIN users u ON u.name = s.user_name
             WHERE s.id_sha256 = $1 AND u.disabled = 0 AND s.expires_at_ms > {}",
            B::NOW_MS
        ))
        .text(session_sha256);
        let Some(row) = self.db().fetch_optional(None, select).await? else {
            return Ok(None);
        };
        Ok(Some(Session {
            user: user(&row)?,
            csrf_token: row.text("csrf_token")?,
            expires_at: row.int("expires_at_ms")?.div_euclid(1000),
        }))
    }

    async fn close_session(&self, session_sha256: &str) -> Result<(), QueueError> {
        let delete = Stmt::new("DELETE FROM sessions WHERE id_sha256 = $1").text(session_sha256);
        self.db().execute(None, delete).await
    }

    async fn audit(&self, entry: &NewAudit<'_>) -> Result<(), QueueError> {
        let before = entry.before.map(serde_json::Value::to_string);
        let after = entry.after.map(serde_json::Value::to_string);
        let insert = Stmt::new(format!(
            "INSERT INTO audit_log (at, actor, action, subject, before_json, after_json)
             VALUES ({}, $1, $2, $3, $4, $5)",
            B::NOW_MS
        ))
        .text(entry.actor)
        .text(entry.action)
        .text(entry.subject)
        .maybe_text(before.as_deref())
        .maybe_text(after.as_deref());
        self.db().execute(None, insert).await
    }

    async fn audit_log(&self, after: i64, limit: u32) -> Result<Vec<AuditEntry>, QueueError> {
        let select = Stmt::new(format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2"
        ))
        .int(after)
        .int(i64::from(limit));
        self.db()
            .fetch_all(select)
            .await?
            .iter()
            .map(audit_entry)
            .collect()
    }
}
