//! The address of a ClickHouse store:
//! `clickhouse://[USER[:PASSWORD]@]HOST[:PORT]/DATABASE[?cluster=NAME&shards=HOST:PORT,…]`,
//! parsed by the `url` crate (a password may hold any character, percent-encoded).

use crate::CollectorError;
use url::Url;

/// The scheme that selects the ClickHouse store.
pub const SCHEME: &str = "clickhouse://";

/// ClickHouse's HTTP port, when the address names none.
const DEFAULT_PORT: u16 = 8123;

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
    /// The cluster the tables are spread over, when the address names one.
    pub cluster: Option<Cluster>,
}

/// A cluster of the servers' `remote_servers` configuration: Flowsight creates its tables on
/// every shard, and Distributed tables over them, which every query and insert goes through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    /// Its name in `remote_servers`.
    pub name: String,
    /// The HTTP endpoint of every shard, where the shard's own tables are created.
    pub shards: Vec<String>,
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
        if !Self::is_clickhouse(text) {
            return Err(fail("must start with clickhouse://"));
        }
        let url = Url::parse(text).map_err(|e| fail(&format!("not an address: {e}")))?;
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| fail("names no host"))?;
        let database = url.path().trim_matches('/');
        if database.is_empty() {
            return Err(fail(
                "names no database: write clickhouse://HOST:8123/DATABASE",
            ));
        }
        if !database
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(fail(
                "the database name must be letters, digits and underscores",
            ));
        }
        let decoded = |part: &str| {
            percent_decode(part).map_err(|_| fail("the credentials are not valid UTF-8"))
        };
        let user = match url.username() {
            "" => None,
            user => Some(decoded(user)?),
        };
        let password = url.password().map(decoded).transpose()?;
        let mut cluster = None;
        let mut shards = None;
        for (name, value) in url.query_pairs() {
            match name.as_ref() {
                "cluster" => cluster = Some(value.into_owned()),
                "shards" => {
                    shards = Some(
                        value
                            .split(',')
                            .map(str::trim)
                            .filter(|s| !s.is_empty())
                            .map(|s| format!("http://{}", with_port(s)))
                            .collect::<Vec<_>>(),
                    )
                }
                other => {
                    return Err(fail(&format!(
                        "unknown parameter {other:?}: the parameters are cluster and shards"
                    )))
                }
            }
        }
        let cluster = match (cluster, shards) {
            (None, None) => None,
            (Some(name), Some(shards)) if !name.is_empty() && !shards.is_empty() => {
                Some(Cluster { name, shards })
            }
            _ => {
                return Err(fail(
                    "a cluster needs its name and every shard's HTTP address: \
                     ?cluster=NAME&shards=HOST:8123,HOST:8123",
                ))
            }
        };
        let port = url.port().unwrap_or(DEFAULT_PORT);
        Ok(Self {
            http: format!("http://{host}:{port}"),
            database: database.to_string(),
            user,
            password,
            cluster,
        })
    }
}

/// `host` with ClickHouse's HTTP port when it names none.
fn with_port(host: &str) -> String {
    if host.contains(':') {
        host.to_string()
    } else {
        format!("{host}:{DEFAULT_PORT}")
    }
}

fn percent_decode(text: &str) -> Result<String, std::str::Utf8Error> {
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .map(|s| s.into_owned())
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
        let url = ClickHouseUrl::parse("clickhouse://ann:s3%2Fcr%40t@db.local:8123/flow").unwrap();
        assert_eq!(url.password.as_deref(), Some("s3/cr@t"), "percent-encoded");
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
    fn reads_a_cluster_and_its_shards() {
        let url = ClickHouseUrl::parse(
            "clickhouse://127.0.0.1:8123/flow?cluster=two&shards=127.0.0.1:8123,ch2",
        )
        .unwrap();
        assert_eq!(
            url.cluster,
            Some(Cluster {
                name: "two".into(),
                shards: vec!["http://127.0.0.1:8123".into(), "http://ch2:8123".into()],
            })
        );
        assert_eq!(url.database, "flow");
    }

    #[test]
    fn names_what_is_wrong() {
        for (text, says) in [
            ("clickhouse://host", "names no database"),
            ("clickhouse://host/bad-name", "letters, digits"),
            ("clickhouse:///db", "names no host"),
            ("http://host/db", "clickhouse://"),
            ("clickhouse://host/db?cluster=c", "every shard"),
            ("clickhouse://host/db?shard=a", "unknown parameter"),
        ] {
            let err = ClickHouseUrl::parse(text).unwrap_err().to_string();
            assert!(err.contains(says) && err.contains(text), "{err}");
        }
    }
}
