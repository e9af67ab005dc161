//! Durable file writes, shared by the directory object store and the
//! office's key and trust files. Everything written here is readable by its
//! owner only: files are created with mode 0600 and directories with 0700,
//! whatever the umask, since they hold personal data or keys.

use std::io::Write;
use std::path::{Path, PathBuf};

/// A durable write failed at `path` (the file, its temporary file or its
/// directory).
#[derive(Debug, thiserror::Error)]
#[error("{path}: {source}")]
pub struct WriteError {
    /// The path the operation failed on.
    pub path: PathBuf,
    /// The I/O error.
    #[source]
    pub source: std::io::Error,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> WriteError + '_ {
    move |source| WriteError {
        path: path.to_path_buf(),
        source,
    }
}

/// Creates a directory and its missing parents with mode 0700. Directories
/// that already exist are left as they are.
pub fn create_private_dir_all(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Makes `path` readable by its owner only: a missing file is created empty
/// with mode 0600, an existing one others can read or write is set to 0600.
/// For files another library creates (the SQLite database, whose journal
/// files SQLite then creates with the same mode).
pub fn make_private_file(path: &Path) -> std::io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let file = opts.open(path)?;
    restrict(&file, 0o600)
}

/// Takes the group's and others' permissions off an existing directory
/// (mode 0700 for a directory made before its data was kept private).
pub fn make_private_dir(dir: &Path) -> std::io::Result<()> {
    restrict(&std::fs::File::open(dir)?, 0o700)
}

#[cfg(unix)]
fn restrict(file: &std::fs::File, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let current = file.metadata()?.permissions().mode();
    if current & 0o077 != 0 {
        file.set_permissions(std::fs::Permissions::from_mode(mode))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn restrict(_file: &std::fs::File, _mode: u32) -> std::io::Result<()> {
    Ok(())
}

/// Opens a new file at `path` for writing, created exclusively (it must not
/// exist) with mode 0600 set at creation and again on the open file, so
/// neither the umask nor anything left at that path decides who can read it.
pub fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let file = opts.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(file)
}

/// Writes a file durably: a temporary file in the same directory (created
/// exclusively, mode 0600), fsync, rename, fsync of the directory. A crash
/// leaves either the old state or the new file.
pub fn write_durably(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    create_private_dir_all(dir).map_err(io_err(dir))?;
    let mut tmp = tempfile_in(dir)?;
    tmp.1.write_all(bytes).map_err(io_err(&tmp.0))?;
    tmp.1.sync_all().map_err(io_err(&tmp.0))?;
    drop(tmp.1);
    std::fs::rename(&tmp.0, path).map_err(io_err(path))?;
    if let Ok(d) = std::fs::File::open(dir) {
        d.sync_all().map_err(io_err(dir))?;
    }
    Ok(())
}

/// How the names of [`write_durably`]'s temporary files begin; one left by a
/// crash may be removed.
pub const TEMPORARY_PREFIX: &str = ".tmp-";

fn tempfile_in(dir: &Path) -> Result<(PathBuf, std::fs::File), WriteError> {
    let mut nonce = [0u8; 8];
    getrandom::getrandom(&mut nonce).map_err(|e| WriteError {
        path: dir.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    })?;
    let path = dir.join(format!("{TEMPORARY_PREFIX}{}", hex::encode(nonce)));
    let file = create_private(&path).map_err(io_err(&path))?;
    Ok((path, file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_durable_write_replaces_the_file_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("f.txt");
        write_durably(&path, b"one").unwrap();
        write_durably(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["f.txt"]);
    }

    #[cfg(unix)]
    #[test]
    fn written_files_and_created_directories_are_private_whatever_the_umask() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a").join("b").join("f");
        write_durably(&path, b"x").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&dir.path().join("a")), 0o700);
        assert_eq!(mode(&dir.path().join("a").join("b")), 0o700);
        // A file already at the path is refused, never reused with its mode.
        let other = dir.path().join("g");
        std::fs::write(&other, b"old").unwrap();
        std::fs::set_permissions(&other, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(create_private(&other).is_err());
        make_private_file(&other).unwrap();
        assert_eq!(mode(&other), 0o600);
        assert_eq!(std::fs::read(&other).unwrap(), b"old");
        let fresh = dir.path().join("h");
        make_private_file(&fresh).unwrap();
        assert_eq!(mode(&fresh), 0o600);
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        make_private_dir(dir.path()).unwrap();
        assert_eq!(mode(dir.path()), 0o700);
    }
}
