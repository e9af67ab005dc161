//! `docseal export`: held records (of issued documents that still stand,
//! approved ones included) as NDJSON or CSV on standard output, read from
//! the queue in pages and written as they come, so memory stays flat
//! whatever the number of records.

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::{Context as _, Result};

use super::{Context, Execute};
use crate::queue::Records;
use crate::reuse::{csv_header, csv_line, ndjson_line, ExportFormat};
use crate::schema::DocType;

/// Records read per page.
const PAGE: u32 = 500;

/// Export held records: one per issued document that still stands
/// (`valid`), approved ones included, oldest first.
#[derive(Debug, clap::Args)]
pub struct Export {
    /// The output format.
    #[arg(long, value_enum)]
    format: ExportFormat,
    /// Only records of this document type (CSV then has one column per field).
    #[arg(long = "type", value_name = "TYPE")]
    doc_type: Option<DocType>,
    /// Only documents issued on or after this day (YYYY-MM-DD, Vietnam's time).
    #[arg(long, value_name = "DATE")]
    since: Option<String>,
}

impl Execute for Export {
    fn execute(self, ctx: &Context) -> Result<ExitCode> {
        let since = match &self.since {
            Some(s) => {
                let format = time::macros::format_description!("[year]-[month]-[day]");
                let day = time::Date::parse(s, format)
                    .with_context(|| format!("--since `{s}`: expected a day YYYY-MM-DD"))?;
                crate::deadline::day_start_ms(day) / 1000
            }
            None => i64::MIN,
        };
        let doc_type = self.doc_type.map(|t| t.as_str());
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::new(stdout.lock());
        let written = ctx.block_on(async {
            let (queue, _store) = ctx.open_backends().await?;
            if self.format == ExportFormat::Csv {
                writeln!(out, "{}\r", csv_header(self.doc_type))?;
            }
            let mut after: Option<(i64, String)> = None;
            let mut written = 0u64;
            loop {
                let cursor = after.as_ref().map(|(t, id)| (*t, id.as_str()));
                let page = queue.records_page(doc_type, since, cursor, PAGE).await?;
                for r in &page {
                    match self.format {
                        ExportFormat::Ndjson => writeln!(out, "{}", ndjson_line(r))?,
                        ExportFormat::Csv => writeln!(out, "{}\r", csv_line(r, self.doc_type))?,
                    }
                }
                written += page.len() as u64;
                out.flush()?;
                match page.last() {
                    Some(last) if page.len() == PAGE as usize => {
                        after = Some((last.issued_at, last.document_id.clone()));
                    }
                    _ => break,
                }
            }
            anyhow::Ok(written)
        })?;
        eprintln!("Exported {written} records.");
        Ok(ExitCode::SUCCESS)
    }
}
