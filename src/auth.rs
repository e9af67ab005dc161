//! Staff credentials: API tokens and session ids are random strings shown
//! once; only their SHA-256 is stored ([`crate::queue::Staff`]), and a
//! presented one is looked up by its hash, so no comparison of secrets runs
//! in time that depends on them.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sha2::{Digest, Sha256};

/// What every token starts with, so a leaked one is recognisable.
pub const TOKEN_PREFIX: &str = "dst_";

/// The longest user name taken.
pub const MAX_USER_NAME: usize = 64;

/// A user name that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The name is empty, too long or has characters other than letters,
    /// digits, `.`, `_`, `-` and `@`.
    #[error(
        "user name `{0}`: use 1 to {MAX_USER_NAME} letters, digits, `.`, `_`, `-` or `@`, without spaces"
    )]
    BadUserName(String),
}

/// A new secret: 32 random bytes from the operating system, URL-safe base64
/// without padding, prefixed [`TOKEN_PREFIX`]. Used for API tokens, session
/// ids and CSRF tokens.
///
/// # Panics
///
/// When the operating system has no random source to read, since a
/// predictable token would be worse than none.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    if let Err(e) = getrandom::getrandom(&mut bytes) {
        panic!("the operating system's random source failed ({e}); no token can be made");
    }
    format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// The SHA-256 of a token, in lowercase hex: what the database keeps.
pub fn token_sha256(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Checks a new user's name: 1 to [`MAX_USER_NAME`] ASCII letters, digits,
/// `.`, `_`, `-` or `@`, so that it prints and logs as it is.
pub fn check_user_name(name: &str) -> Result<(), AuthError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@');
    if name.is_empty() || name.len() > MAX_USER_NAME || !name.chars().all(allowed) {
        return Err(AuthError::BadUserName(name.escape_debug().to_string()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_prefixed_random_and_url_safe() {
        let a = new_token();
        let b = new_token();
        assert_ne!(a, b);
        assert!(a.starts_with(TOKEN_PREFIX));
        let body = &a[TOKEN_PREFIX.len()..];
        assert_eq!(URL_SAFE_NO_PAD.decode(body).unwrap().len(), 32);
        assert!(body
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    }

    #[test]
    fn token_hashes_are_sha256_hex() {
        assert_eq!(
            token_sha256("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn user_names_are_checked() {
        for good in ["lan", "tran.thi.thu", "admin-2", "a@b.vn"] {
            check_user_name(good).unwrap();
        }
        let long = "x".repeat(MAX_USER_NAME + 1);
        for bad in ["", "two words", "tab\t", "Nguyễn", long.as_str(), "a/b"] {
            assert!(check_user_name(bad).is_err(), "{bad}");
        }
    }
}
