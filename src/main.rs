//! The `docseal` binary: a thin edge around [`docseal::cli`].

use std::process::ExitCode;

fn main() -> ExitCode {
    if let Some(code) = reexec_with_single_threaded_openmp() {
        return code;
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("DOCSEAL_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    match docseal::cli::main() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(docseal::cli::EXIT_ERROR)
        }
    }
}

/// Tesseract's OpenMP reads `OMP_THREAD_LIMIT` only when the process starts, and
/// with more than one OpenMP thread a page costs 2.4× the CPU. When the variable
/// is not set, replace this process by itself with the variable set to 1 (same
/// process id, so signals and exit codes are unaffected).
fn reexec_with_single_threaded_openmp() -> Option<ExitCode> {
    if std::env::var_os("OMP_THREAD_LIMIT").is_some() {
        return None;
    }
    let exe = std::env::current_exe().ok()?;
    let mut cmd = std::process::Command::new(exe);
    cmd.args(std::env::args_os().skip(1))
        .env("OMP_THREAD_LIMIT", "1");
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // `exec` returns only on failure; then carry on in this process.
        let err = cmd.exec();
        eprintln!(
            "warning: could not restart with OMP_THREAD_LIMIT=1 ({err}); OCR will use more CPU"
        );
        None
    }
    #[cfg(not(unix))]
    {
        let status = cmd.status().ok()?;
        Some(ExitCode::from(
            status.code().unwrap_or(3).clamp(0, 255) as u8
        ))
    }
}
