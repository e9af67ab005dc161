//! `docseal users` and `docseal audit`: staff accounts and the audit log, at
//! the command line (whoever can open the database is an administrator).

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::{Context as _, Result};

use super::{Context, Execute};
use crate::auth::{check_user_name, new_token, token_sha256};
use crate::queue::{NewAudit, Role, Staff, User};

/// Staff accounts: add, list, disable.
#[derive(Debug, clap::Args)]
pub struct Users {
    /// What to do.
    #[command(subcommand)]
    action: UsersCommand,
}

/// The roles as the command line spells them.
const ROLE_NAMES: [&str; 4] = ["clerk", "reviewer", "admin", "system"];

/// User commands.
#[derive(Debug, clap::Subcommand)]
pub enum UsersCommand {
    /// Add a user and print its API token, once, alone on the last line.
    Add {
        /// The login name: letters, digits, `.`, `_`, `-`, `@`.
        name: String,
        /// What the user may do: clerks upload, reviewers also approve and
        /// reject, admins also revoke and manage users; `system` is another
        /// agency's system, which only reads held records by citizen
        /// (`/v1/records`, `/v1/prefill`).
        #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(ROLE_NAMES))]
        role: String,
        /// Who adds the user, for the audit log (default: the system user).
        #[arg(long = "as", value_name = "NAME")]
        actor: Option<String>,
    },
    /// List users.
    List {
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// Disable a user: its token and sessions stop working.
    Disable {
        /// The login name.
        name: String,
        /// Who disables the user, for the audit log (default: the system user).
        #[arg(long = "as", value_name = "NAME")]
        actor: Option<String>,
    },
}

/// The audit log of every state change.
#[derive(Debug, clap::Args)]
pub struct Audit {
    /// What to do.
    #[command(subcommand)]
    action: AuditCommand,
}

/// Audit-log commands.
#[derive(Debug, clap::Subcommand)]
pub enum AuditCommand {
    /// Print the audit log as NDJSON, one entry per line, oldest first.
    Export {
        /// Only entries after this sequence number (the last one exported before).
        #[arg(long, default_value_t = 0)]
        after: i64,
    },
}

/// The operating-system user running the command, for the audit log.
fn system_user() -> String {
    ["USER", "LOGNAME"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|v| !v.trim().is_empty())
        .unwrap_or_else(|| {
            use std::os::unix::fs::MetadataExt as _;
            std::fs::metadata("/proc/self")
                .map(|m| format!("uid {}", m.uid()))
                .unwrap_or_else(|_| "unknown".to_string())
        })
}

/// A user as JSON, for the audit log's before and after.
fn user_json(user: &User) -> Result<serde_json::Value> {
    serde_json::to_value(user).context("cannot write a user as JSON")
}

impl Execute for Users {
    fn execute(self, ctx: &Context) -> Result<ExitCode> {
        ctx.block_on(async {
            let (queue, _store) = ctx.open_backends().await?;
            match self.action {
                UsersCommand::Add { name, role, actor } => {
                    check_user_name(&name)?;
                    let role = Role::parse(&role)?;
                    let token = new_token();
                    let user = queue.add_user(&name, role, &token_sha256(&token)).await?;
                    let actor = actor.unwrap_or_else(system_user);
                    let after = user_json(&user)?;
                    queue
                        .audit(&NewAudit {
                            actor: &actor,
                            action: "user.add",
                            subject: &user.name,
                            before: None,
                            after: Some(&after),
                        })
                        .await?;
                    println!(
                        "Added {} as {}. Their token, shown only this once (keep it secret; \
                         it is stored hashed and cannot be shown again):",
                        user.name, user.role
                    );
                    println!("{token}");
                    Ok(ExitCode::SUCCESS)
                }
                UsersCommand::List { json } => {
                    let users = queue.users().await?;
                    let mut out = std::io::stdout().lock();
                    for user in &users {
                        if json {
                            writeln!(out, "{}", serde_json::to_string(user)?)?;
                        } else {
                            let state = if user.disabled { "disabled" } else { "enabled" };
                            let since = crate::model::format_rfc3339(user.created_at);
                            writeln!(
                                out,
                                "{:<24} {:<8} {:<8} added {since}",
                                user.name, user.role, state
                            )?;
                        }
                    }
                    if users.is_empty() && !json {
                        writeln!(
                            out,
                            "No users yet; add one with `docseal users add NAME --role ROLE`."
                        )?;
                    }
                    Ok(ExitCode::SUCCESS)
                }
                UsersCommand::Disable { name, actor } => {
                    let before = queue.users().await?.into_iter().find(|u| u.name == name);
                    let Some(user) = queue.disable_user(&name).await? else {
                        eprintln!("error: there is no user {name}; see `docseal users list`");
                        return Ok(ExitCode::FAILURE);
                    };
                    let actor = actor.unwrap_or_else(system_user);
                    let before = before.as_ref().map(user_json).transpose()?;
                    let after = user_json(&user)?;
                    queue
                        .audit(&NewAudit {
                            actor: &actor,
                            action: "user.disable",
                            subject: &user.name,
                            before: before.as_ref(),
                            after: Some(&after),
                        })
                        .await?;
                    println!(
                        "Disabled {}: their token and sessions no longer work.",
                        user.name
                    );
                    Ok(ExitCode::SUCCESS)
                }
            }
        })
    }
}

/// Entries read per query while exporting.
const EXPORT_PAGE: u32 = 1000;

impl Execute for Audit {
    fn execute(self, ctx: &Context) -> Result<ExitCode> {
        let AuditCommand::Export { after } = self.action;
        ctx.block_on(async {
            let (queue, _store) = ctx.open_backends().await?;
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            let mut last = after;
            loop {
                let page = queue.audit_log(last, EXPORT_PAGE).await?;
                for entry in &page {
                    writeln!(out, "{}", serde_json::to_string(entry)?)?;
                    last = entry.seq;
                }
                if page.len() < EXPORT_PAGE as usize {
                    break;
                }
            }
            out.flush()
                .context("cannot write the audit log to standard output")?;
            Ok(ExitCode::SUCCESS)
        })
    }
}
