//! Failures as log text: the whole cause chain, each cause once, and never a
//! database password. Used wherever a failure is written out (a response's
//! log line, the command line's last words).

/// `outer: inner: innermost`, like `{:#}`, but a cause that its wrapper
/// already quotes (sqlx repeats a database's message this way) is not
/// written twice. Passwords in URLs are masked (see [`redact_urls`]).
pub fn describe(error: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if parts.last().is_some_and(|outer| outer.contains(&text)) {
            continue;
        }
        parts.push(text);
    }
    redact_urls(&parts.join(": "))
}

/// Masks the password of every `scheme://user:password@host…` in `text`,
/// leaving `scheme://user:***@host…`. Errors from the database driver and
/// from parsing the configuration may quote the URL they were given.
pub fn redact_urls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("://") {
        let (head, tail) = rest.split_at(start + 3);
        out.push_str(head);
        // The URL runs to the first space or quote; its user information to
        // the last `@` in it. A password holding `/` or `?` is masked too.
        let end = tail
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '`'))
            .unwrap_or(tail.len());
        let url = &tail[..end];
        match url
            .rfind('@')
            .and_then(|at| url[..at].find(':').map(|colon| (colon, at)))
        {
            Some((colon, at)) => {
                out.push_str(&url[..=colon]);
                out.push_str("***");
                out.push_str(&url[at..]);
            }
            None => out.push_str(url),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_urls_are_masked() {
        let cases = [
            (
                "postgres://alice:s3cret@db:5432/app",
                "postgres://alice:***@db:5432/app",
            ),
            (
                "unsupported database URL \"mysql://bob:p%40ss@h/x\": use …",
                "unsupported database URL \"mysql://bob:***@h/x\": use …",
            ),
            (
                "postgresql://u:a/b?c@h/db?sslmode=require",
                "postgresql://u:***@h/db?sslmode=require",
            ),
            (
                "a postgres://a:1@h/x and postgres://b:2@h/y",
                "a postgres://a:***@h/x and postgres://b:***@h/y",
            ),
        ];
        for (raw, masked) in cases {
            assert_eq!(redact_urls(raw), masked);
        }
    }

    #[test]
    fn urls_without_a_password_are_left_alone() {
        for text in [
            "postgres://postgres@127.0.0.1:5432/test",
            "sqlite://insignia.db",
            "sqlite:///var/lib/insignia/db.sqlite?mode=rwc",
            "no url here: just text",
        ] {
            assert_eq!(redact_urls(text), text);
        }
    }

    #[test]
    fn each_cause_is_written_once() {
        let inner = anyhow::anyhow!("role \"alice\" does not exist");
        let error = inner
            .context("error returned from database: role \"alice\" does not exist")
            .context("database error");
        assert_eq!(
            describe(&error),
            "database error: error returned from database: role \"alice\" does not exist"
        );
        let error = anyhow::anyhow!("connection refused").context("could not reach postgres://a:pw@h/db");
        assert_eq!(
            describe(&error),
            "could not reach postgres://a:***@h/db: connection refused"
        );
    }
}
