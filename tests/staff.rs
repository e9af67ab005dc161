//! Staff accounts, sessions and the audit log (`queue::Staff`) on SQLite and
//! PostgreSQL, and the `users` and `audit` commands end to end on both.

mod common;

use std::future::Future;
use std::time::Duration;

use docseal::auth::{new_token, token_sha256};
use docseal::queue::{NewAudit, PgQueue, QueueError, Role, SqliteQueue, Staff};

use common::{docseal_cmd, fresh_pg_database, fresh_pg_url, json_lines, text};

/// Every case gets at most this long.
const CASE_LIMIT: Duration = Duration::from_secs(60);

/// A fresh queue for one case, kept alive as long as the case runs.
trait Fresh: Sized {
    type Q: Staff;
    fn fresh() -> impl Future<Output = (Self, Self::Q)>;
}

struct SqliteDb(#[allow(dead_code)] tempfile::TempDir);

impl Fresh for SqliteDb {
    type Q = SqliteQueue;
    async fn fresh() -> (SqliteDb, SqliteQueue) {
        let dir = tempfile::tempdir().expect("a temp dir");
        let q = SqliteQueue::open(&dir.path().join("docseal.sqlite"))
            .await
            .expect("the SQLite queue opens");
        (SqliteDb(dir), q)
    }
}

struct PgDb;

impl Fresh for PgDb {
    type Q = PgQueue;
    async fn fresh() -> (PgDb, PgQueue) {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(4)
            .connect_with(fresh_pg_database().await)
            .await
            .expect("the test database accepts connections");
        let q = PgQueue::with_pool(pool)
            .await
            .expect("the schema is created");
        (PgDb, q)
    }
}

macro_rules! staff_suite {
    ($backend:ident, $fresh:ty) => {
        mod $backend {
            use super::*;
            staff_suite!(@cases $fresh:
                users_are_added_listed_and_disabled,
                a_taken_name_is_a_conflict,
                a_token_is_found_by_its_hash_only,
                a_disabled_users_token_and_sessions_stop_working,
                sessions_expire_and_close,
                the_audit_log_keeps_order_and_pages,
            );
        }
    };
    (@cases $fresh:ty: $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let (_keep, q) = <$fresh>::fresh().await;
                tokio::time::timeout(CASE_LIMIT, cases::$case(&q))
                    .await
                    .expect("the case finished in time");
            }
        )*
    };
}

staff_suite!(sqlite, SqliteDb);
staff_suite!(postgres, PgDb);

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_secs() as i64
}

mod cases {
    use super::*;

    pub async fn users_are_added_listed_and_disabled<Q: Staff>(q: &Q) {
        assert!(q.users().await.unwrap().is_empty());
        let lan = q.add_user("lan", Role::Reviewer, "h-lan").await.unwrap();
        assert_eq!(
            (lan.name.as_str(), lan.role, lan.disabled),
            ("lan", Role::Reviewer, false)
        );
        assert!(
            (lan.created_at - unix_now()).abs() < 60,
            "{}",
            lan.created_at
        );
        q.add_user("an", Role::Clerk, "h-an").await.unwrap();
        q.add_user("binh", Role::Admin, "h-binh").await.unwrap();
        let users = q.users().await.unwrap();
        let names: Vec<_> = users.iter().map(|u| u.name.as_str()).collect();
        assert_eq!(names, ["an", "binh", "lan"]);
        let disabled = q.disable_user("lan").await.unwrap().unwrap();
        assert!(disabled.disabled);
        assert_eq!(disabled.role, Role::Reviewer);
        assert!(q.disable_user("nobody").await.unwrap().is_none());
        // Disabling again changes nothing and still finds the user.
        assert!(q.disable_user("lan").await.unwrap().unwrap().disabled);
        let users = q.users().await.unwrap();
        assert_eq!(
            users.iter().map(|u| u.disabled).collect::<Vec<_>>(),
            [false, false, true]
        );
    }

    pub async fn a_taken_name_is_a_conflict<Q: Staff>(q: &Q) {
        q.add_user("lan", Role::Clerk, "h1").await.unwrap();
        match q.add_user("lan", Role::Admin, "h2").await {
            Err(QueueError::Conflict(msg)) => assert!(msg.contains("lan"), "{msg}"),
            other => panic!("a second `lan` gave {other:?}"),
        }
        // The first one stands, with its role and token.
        assert_eq!(q.users().await.unwrap().len(), 1);
        assert_eq!(
            q.user_for_token("h1").await.unwrap().unwrap().role,
            Role::Clerk
        );
        assert!(q.user_for_token("h2").await.unwrap().is_none());
    }

    pub async fn a_token_is_found_by_its_hash_only<Q: Staff>(q: &Q) {
        let token = new_token();
        let hash = token_sha256(&token);
        q.add_user("lan", Role::Reviewer, &hash).await.unwrap();
        let found = q.user_for_token(&hash).await.unwrap().unwrap();
        assert_eq!(found.name, "lan");
        // The token itself is not what is stored.
        assert!(q.user_for_token(&token).await.unwrap().is_none());
        assert!(q
            .user_for_token(&token_sha256(&new_token()))
            .await
            .unwrap()
            .is_none());
    }

    pub async fn a_disabled_users_token_and_sessions_stop_working<Q: Staff>(q: &Q) {
        q.add_user("lan", Role::Reviewer, "h-lan").await.unwrap();
        q.add_user("an", Role::Clerk, "h-an").await.unwrap();
        let hour = Duration::from_secs(3600);
        q.open_session("s-lan", "lan", "csrf-lan", hour)
            .await
            .unwrap();
        q.open_session("s-an", "an", "csrf-an", hour).await.unwrap();
        let session = q.session("s-lan").await.unwrap().unwrap();
        assert_eq!(session.user.name, "lan");
        assert_eq!(session.csrf_token, "csrf-lan");
        assert!((session.expires_at - unix_now() - 3600).abs() < 60);

        q.disable_user("lan").await.unwrap().unwrap();
        assert!(q.user_for_token("h-lan").await.unwrap().is_none());
        assert!(q.session("s-lan").await.unwrap().is_none());
        match q.open_session("s-lan-2", "lan", "c", hour).await {
            Err(QueueError::Conflict(msg)) => assert!(msg.contains("lan"), "{msg}"),
            other => panic!("a session for a disabled user gave {other:?}"),
        }
        match q.open_session("s-x", "nobody", "c", hour).await {
            Err(QueueError::Conflict(_)) => {}
            other => panic!("a session for an unknown user gave {other:?}"),
        }
        // Others are untouched.
        assert_eq!(q.user_for_token("h-an").await.unwrap().unwrap().name, "an");
        assert_eq!(
            q.session("s-an").await.unwrap().unwrap().user.role,
            Role::Clerk
        );
    }

    pub async fn sessions_expire_and_close<Q: Staff>(q: &Q) {
        q.add_user("lan", Role::Reviewer, "h").await.unwrap();
        q.open_session("short", "lan", "c1", Duration::from_millis(300))
            .await
            .unwrap();
        q.open_session("long", "lan", "c2", Duration::from_secs(600))
            .await
            .unwrap();
        assert!(q.session("short").await.unwrap().is_some());
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert!(
            q.session("short").await.unwrap().is_none(),
            "an expired session still works"
        );
        assert!(q.session("long").await.unwrap().is_some());
        q.close_session("long").await.unwrap();
        assert!(q.session("long").await.unwrap().is_none());
        q.close_session("long").await.unwrap();
        assert!(q.session("never-opened").await.unwrap().is_none());
        // Opening a session sweeps expired ones; the id can be opened anew.
        q.open_session("short", "lan", "c3", Duration::from_secs(60))
            .await
            .unwrap();
        assert_eq!(q.session("short").await.unwrap().unwrap().csrf_token, "c3");
    }

    pub async fn the_audit_log_keeps_order_and_pages<Q: Staff>(q: &Q) {
        assert!(q.audit_log(0, 10).await.unwrap().is_empty());
        let before = serde_json::json!({"state": "needs_review"});
        let after = serde_json::json!({"state": "issued", "fields": {"ho_ten": "NGUYỄN VĂN AN"}});
        for i in 0..7 {
            let subject = format!("sub-{i}");
            q.audit(&NewAudit {
                actor: if i % 2 == 0 { "lan" } else { "an" },
                action: "submission.approve",
                subject: &subject,
                before: (i == 3).then_some(&before),
                after: (i == 3).then_some(&after),
            })
            .await
            .unwrap();
        }
        let all = q.audit_log(0, 100).await.unwrap();
        assert_eq!(all.len(), 7);
        let subjects: Vec<_> = all.iter().map(|e| e.subject.as_str()).collect();
        assert_eq!(
            subjects,
            ["sub-0", "sub-1", "sub-2", "sub-3", "sub-4", "sub-5", "sub-6"]
        );
        assert!(all
            .windows(2)
            .all(|w| w[0].seq < w[1].seq && w[0].at <= w[1].at));
        let now_ms = unix_now() * 1000;
        assert!(
            (all[0].at - now_ms).abs() < 60_000,
            "at is Unix ms: {}",
            all[0].at
        );
        assert_eq!(all[3].before.as_ref(), Some(&before));
        assert_eq!(all[3].after.as_ref(), Some(&after));
        assert_eq!(
            (all[0].before.as_ref(), all[0].actor.as_str()),
            (None, "lan")
        );
        // Paging by seq.
        let first = q.audit_log(0, 3).await.unwrap();
        let rest = q.audit_log(first[2].seq, 100).await.unwrap();
        assert_eq!(first.len() + rest.len(), 7);
        assert_eq!(rest[0], all[3]);
        assert!(q.audit_log(all[6].seq, 10).await.unwrap().is_empty());
    }
}

// ---------------------------------------------------------------------------
// The commands, end to end.

/// Where the commands keep their data: the SQLite default, or a fresh
/// PostgreSQL database through `DOCSEAL_QUEUE`.
struct Site {
    dir: tempfile::TempDir,
    queue: Option<String>,
}

impl Site {
    fn run(&self, args: &[&str]) -> std::process::Output {
        let mut cmd = docseal_cmd(&self.dir.path().join("data"));
        if let Some(url) = &self.queue {
            cmd.env("DOCSEAL_QUEUE", url);
        }
        cmd.env("USER", "operator-on-duty")
            .args(args)
            .output()
            .expect("the docseal binary runs")
    }

    fn ok(&self, args: &[&str]) -> std::process::Output {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "docseal {args:?} failed:\n{}",
            text(&out)
        );
        out
    }
}

async fn commands_manage_users_and_export_the_audit_log(site: Site) {
    let site = std::sync::Arc::new(site);
    let s = site.clone();
    tokio::task::spawn_blocking(move || {
        let added = s.ok(&["users", "add", "lan", "--role", "reviewer"]);
        let stdout = String::from_utf8_lossy(&added.stdout).into_owned();
        let token = stdout.lines().last().expect("a last line").to_string();
        assert!(
            token.starts_with("dst_") && !token.contains(' '),
            "last line: {token:?}"
        );
        assert_eq!(stdout.matches(&token).count(), 1, "{stdout}");
        assert!(stdout.ends_with(&format!("{token}\n")), "{stdout:?}");

        s.ok(&["users", "add", "an", "--role", "clerk", "--as", "binh"]);
        let dup = s.run(&["users", "add", "lan", "--role", "admin"]);
        assert!(!dup.status.success());
        assert!(text(&dup).contains("already exists"), "{}", text(&dup));
        let bad = s.run(&["users", "add", "two words", "--role", "clerk"]);
        assert!(!bad.status.success(), "{}", text(&bad));
        let bad_role = s.run(&["users", "add", "x", "--role", "root"]);
        assert_eq!(bad_role.status.code(), Some(2), "{}", text(&bad_role));

        let list = json_lines(&s.ok(&["users", "list", "--json"]));
        assert_eq!(list.len(), 2);
        assert_eq!(list[0]["name"], "an");
        assert_eq!(list[1]["role"], "reviewer");
        assert_eq!(list[1]["disabled"], false);
        let plain = String::from_utf8_lossy(&s.ok(&["users", "list"]).stdout).into_owned();
        assert!(
            plain.contains("lan") && plain.contains("reviewer"),
            "{plain}"
        );
        assert!(!plain.contains(&token));

        s.ok(&["users", "disable", "lan"]);
        let missing = s.run(&["users", "disable", "nobody"]);
        assert_eq!(missing.status.code(), Some(1), "{}", text(&missing));
        let list = json_lines(&s.ok(&["users", "list", "--json"]));
        assert_eq!(list[1]["disabled"], true);

        let audit = json_lines(&s.ok(&["audit", "export"]));
        let lines: Vec<_> = audit
            .iter()
            .map(|e| {
                (
                    e["action"].as_str().unwrap_or_default(),
                    e["subject"].as_str().unwrap_or_default(),
                    e["actor"].as_str().unwrap_or_default(),
                )
            })
            .collect();
        assert_eq!(
            lines,
            [
                ("user.add", "lan", "operator-on-duty"),
                ("user.add", "an", "binh"),
                ("user.disable", "lan", "operator-on-duty"),
            ]
        );
        assert_eq!(audit[2]["before"]["disabled"], false);
        assert_eq!(audit[2]["after"]["disabled"], true);
        assert!(audit[0]["before"].is_null());
        let export = String::from_utf8_lossy(&s.ok(&["audit", "export"]).stdout).into_owned();
        assert!(
            !export.contains(&token),
            "the token leaked into the audit log"
        );
        let seq = audit[0]["seq"].as_i64().expect("seq is a number");
        let later = json_lines(&s.ok(&["audit", "export", "--after", &seq.to_string()]));
        assert_eq!(later.len(), 2);
        assert_eq!(later[0], audit[1]);
    })
    .await
    .expect("the commands ran");
}

#[tokio::test]
async fn commands_on_sqlite() {
    commands_manage_users_and_export_the_audit_log(Site {
        dir: tempfile::tempdir().expect("a temp dir"),
        queue: None,
    })
    .await;
}

#[tokio::test]
async fn commands_on_postgres() {
    commands_manage_users_and_export_the_audit_log(Site {
        dir: tempfile::tempdir().expect("a temp dir"),
        queue: Some(fresh_pg_url().await),
    })
    .await;
}

/// The database keeps hashes only: the token printed by `users add` is
/// nowhere in the SQLite file.
#[test]
fn the_database_holds_no_token() {
    let site = Site {
        dir: tempfile::tempdir().expect("a temp dir"),
        queue: None,
    };
    let out = site.ok(&["users", "add", "lan", "--role", "admin"]);
    let token = String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .expect("a last line")
        .to_string();
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(site.dir.path().join("data")).expect("the data directory") {
        let path = entry.expect("an entry").path();
        if path.is_file() {
            bytes.extend(std::fs::read(&path).expect("readable"));
        }
    }
    assert!(!bytes.is_empty());
    let hay = String::from_utf8_lossy(&bytes);
    assert!(!hay.contains(&token), "the token is stored in the clear");
}
