//! The address of a ClickHouse store: `clickhouse://[USER[:PASSWORD]@]HOST[:PORT]/DATABASE`.

use crate::CollectorError;

/// The scheme that selects the ClickHouse store.
pub const SCHEME: &str = "clickhouse://";

/// Where a ClickHouse store lives, parsed from a `clickhouse://` address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClickHouseUrl {
    /// The HTTP endpoint, e.g. `http://127.0.0.1:8123`.
    pub http: String,
    /// The database holding Flowsight's tables (created if missing).
    pub database: String,
    /// The user, when not the server's default.
    pub user: Option<String>,
    /// The user's password.
    pub password: Option<String>,
}

impl ClickHouseUrl {
    /// Whether `text` names a ClickHouse store rather than a directory.
    pub fn is_clickhouse(text: &str) -> bool {
        text.starts_with(SCHEME)
    }

    /// `text` (a store address) with the password of its `user:password@` part replaced by
    /// `***`, for every message and log line that names the address.
    pub fn redacted(text: &str) -> String {
        let Some((scheme, rest)) = text.split_once("://") else {
            return text.to_string();
        };
        // The last '@' ends the credentials (a database name has none), whatever the
        // password holds.
        let Some(at) = rest.rfind('@') else {
            return text.to_string();
        };
        match rest[..at].split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***{}", &rest[at..]),
            None => text.to_string(),
        }
    }

    /// Parses an address; the port defaults to ClickHouse's HTTP port 8123.
    pub fn parse(text: &str) -> Result<Self, CollectorError> {
        let fail = |message: &str| CollectorError::StoreUrl {
            url: Self::redacted(text),
            message: message.to_string(),
        };
        let rest = text
            .strip_prefix(SCHEME)
            .ok_or_else(|| fail("must start with clickhouse://"))?;
        let (authority, database) = rest
            .split_once('/')
            .ok_or_else(|| fail("names no database: write clickhouse://HOST:8123/DATABASE"))?;
        let database = database.trim_end_matches('/');
        if database.is_empty()
            || !database
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(fail(
                "the database name must be letters, digits and underscores",
            ));
        }
        let (credentials, host) = match authority.rsplit_once('@') {
            Some((credentials, host)) => (Some(credentials), host),
            None => (None, authority),
        };
        if host.is_empty() {
            return Err(fail("names no host"));
        }
        let host = if host.contains(':') {
            host.to_string()
        } else {
            format!("{host}:8123")
        };
        let (user, password) = match credentials.map(|c| c.split_once(':')) {
            None => (None, None),
            Some(None) => (credentials.map(str::to_string), None),
            Some(Some((user, password))) => (Some(user.to_string()), Some(password.to_string())),
        };
        Ok(Self {
            http: format!("http://{host}"),
            database: database.to_string(),
            user,
            password,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_is_never_shown() {
        assert_eq!(
            ClickHouseUrl::redacted("clickhouse://ann:s3/cr@t@db.local:8123/flow"),
            "clickhouse://ann:***@db.local:8123/flow"
        );
        assert_eq!(
            ClickHouseUrl::redacted("clickhouse://db:8123/flow"),
            "clickhouse://db:8123/flow"
        );
        let e = ClickHouseUrl::parse("clickhouse://ann:secret@db:8123/bad-name").unwrap_err();
        assert!(!e.to_string().contains("secret"), "{e}");
    }

    #[test]
    fn reads_host_port_database_and_credentials() {
        let url = ClickHouseUrl::parse("clickhouse://127.0.0.1:8123/flowsight").unwrap();
        assert_eq!(url.http, "http://127.0.0.1:8123");
        assert_eq!(url.database, "flowsight");
        assert_eq!(url.user, None);
        let url = ClickHouseUrl::parse("clickhouse://ops:secret@ch.local/events_db").unwrap();
        assert_eq!(url.http, "http://ch.local:8123");
        assert_eq!(
            (url.user.as_deref(), url.password.as_deref()),
            (Some("ops"), Some("secret"))
        );
    }

    #[test]
    fn names_what_is_wrong() {
        for (text, says) in [
            ("clickhouse://host", "names no database"),
            ("clickhouse://host/bad-name", "letters, digits"),
            ("clickhouse:///db", "names no host"),
            ("http://host/db", "clickhouse://"),
        ] {
            let err = ClickHouseUrl::parse(text).unwrap_err().to_string();
            assert!(err.contains(says) && err.contains(text), "{err}");
        }
    }
}
