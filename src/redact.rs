//! Secrets kept out of what is printed: a URL's password wherever the URL
//! puts it, and a settings line that holds a secret.

/// Whether a URL query parameter or a settings key names a secret
/// (`password`, `sslpassword`, `secret_access_key`, `token`, `X-Amz-Signature`, …).
pub fn is_secret_name(name: &str) -> bool {
    let name = name.trim().to_ascii_lowercase();
    ["pass", "secret", "token", "credential", "signature"]
        .iter()
        .any(|w| name.contains(w))
        || name.ends_with("key")
}

/// `url` with its secrets replaced by `***`: the password of its user
/// information (`postgres://user:secret@host/db` becomes
/// `postgres://user:***@host/db`) and the value of every query parameter
/// whose name says it is a secret (`?password=…`, `&sslpassword=…`).
pub fn url(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (Some(scheme), rest),
        None => (None, url),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{user}:***@{host}"),
            None => authority.to_string(),
        },
        None => authority.to_string(),
    };
    let (before_fragment, fragment) = match tail.split_once('#') {
        Some((t, f)) => (t, Some(f)),
        None => (tail, None),
    };
    let tail = match before_fragment.split_once('?') {
        Some((path, query)) => {
            let query: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((name, _)) if is_secret_name(name) => format!("{name}=***"),
                    _ => pair.to_string(),
                })
                .collect();
            format!("{path}?{}", query.join("&"))
        }
        None => before_fragment.to_string(),
    };
    let fragment = fragment.map_or(String::new(), |f| format!("#{f}"));
    match scheme {
        Some(scheme) => format!("{scheme}://{authority}{tail}{fragment}"),
        None => format!("{authority}{tail}{fragment}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hidden_in_every_place_a_url_holds_them() {
        for (given, shown) in [
            (
                "postgres://docseal:hunter2@db:5432/docseal",
                "postgres://docseal:***@db:5432/docseal",
            ),
            (
                "postgres://docseal@db/docseal?password=hunter2&sslmode=require",
                "postgres://docseal@db/docseal?password=***&sslmode=require",
            ),
            (
                "postgresql://db/x?sslmode=verify-full&sslpassword=hunter2#frag",
                "postgresql://db/x?sslmode=verify-full&sslpassword=***#frag",
            ),
            (
                "postgres://u:p%40ss@db?user=u&password=hunter2",
                "postgres://u:***@db?user=u&password=***",
            ),
            (
                "http://key:hunter2@s3.local:9000/b?X-Amz-Signature=hunter2",
                "http://key:***@s3.local:9000/b?X-Amz-Signature=***",
            ),
            (
                "sqlite:///var/lib/docseal.sqlite",
                "sqlite:///var/lib/docseal.sqlite",
            ),
            ("s3://bucket/prefix", "s3://bucket/prefix"),
        ] {
            assert_eq!(url(given), shown, "{given}");
        }
    }
}
