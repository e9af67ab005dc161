//! Durable file writes, shared by the directory object store and the
//! office's key and trust files.

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

/// Writes a file durably: a temporary file in the same directory, fsync, rename,
/// fsync of the directory. A crash leaves either the old state or the new file.
pub fn write_durably(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
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

fn tempfile_in(dir: &Path) -> Result<(PathBuf, std::fs::File), WriteError> {
    let mut nonce = [0u8; 8];
    getrandom::getrandom(&mut nonce).map_err(|e| WriteError {
        path: dir.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    })?;
    let path = dir.join(format!(".tmp-{}", hex::encode(nonce)));
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(io_err(&path))?;
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
}
