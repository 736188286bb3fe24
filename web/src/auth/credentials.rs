//! Who may do what: named tokens with a role, from a TOML file and `FLOWSIGHT_TOKEN`.
//!
//! ```toml
//! [[tokens]]
//! name = "shipping-service"   # shown in the log and on the login
//! token = "a long random secret, at least 16 characters"
//! role = "ingest"             # read | ingest | admin
//! ```
//!
//! Machines send a token as `Authorization: Bearer TOKEN` (HTTP ingest, OTLP/HTTP, OTLP/gRPC
//! metadata, the API, exports, `/metrics`); people paste theirs once on the login page and get
//! a session cookie.

use crate::WebError;
use std::path::Path;
use subtle::ConstantTimeEq;

/// What a credential allows, each role including the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Every page, API answer, export and `/metrics`.
    Read,
    /// Also send events and spans (`POST /api/events`, `/v1/traces`, OTLP/gRPC).
    Ingest,
    /// Also import files and change the store's configuration.
    Admin,
}

impl Role {
    /// The role's name as written in the credentials file.
    pub fn name(self) -> &'static str {
        match self {
            Role::Read => "read",
            Role::Ingest => "ingest",
            Role::Admin => "admin",
        }
    }
}

/// One token and what it may do.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credential {
    /// Whose token this is (a service, a person).
    pub name: String,
    /// The secret itself.
    pub token: String,
    /// What it allows.
    pub role: Role,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CredentialsFile {
    tokens: Vec<Credential>,
}

/// Shortest token accepted: shorter ones are guessable.
pub const MIN_TOKEN_CHARS: usize = 16;

/// Every credential the server accepts.
#[derive(Debug, Clone, Default)]
pub struct Credentials(Vec<Credential>);

impl Credentials {
    /// Reads `file` (if any) and adds `env_token` (the value of `FLOWSIGHT_TOKEN`) as an admin
    /// named `FLOWSIGHT_TOKEN`. Errors name the file and the entry at fault.
    pub fn load(file: Option<&Path>, env_token: Option<&str>) -> Result<Self, WebError> {
        let mut all = Vec::new();
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|e| {
                WebError::Setup(format!("cannot read credentials {}: {e}", path.display()))
            })?;
            let parsed: CredentialsFile = toml::from_str(&text).map_err(|e| {
                WebError::Setup(format!("credentials {}: {}", path.display(), e.message()))
            })?;
            all.extend(parsed.tokens);
        }
        if let Some(token) = env_token.filter(|t| !t.is_empty()) {
            all.push(Credential {
                name: "FLOWSIGHT_TOKEN".into(),
                token: token.to_string(),
                role: Role::Admin,
            });
        }
        let origin = file.map_or("FLOWSIGHT_TOKEN".to_string(), |p| p.display().to_string());
        for (i, credential) in all.iter().enumerate() {
            if credential.token.chars().count() < MIN_TOKEN_CHARS {
                return Err(WebError::Setup(format!(
                    "{origin}: the token of {:?} is shorter than {MIN_TOKEN_CHARS} characters",
                    credential.name
                )));
            }
            if all[..i].iter().any(|c| c.token == credential.token) {
                return Err(WebError::Setup(format!(
                    "{origin}: {:?} has the same token as another entry",
                    credential.name
                )));
            }
        }
        Ok(Self(all))
    }

    /// No credential: authentication is off.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A token whose role is at least `role` (for the demo, which sends its own events).
    pub fn token_with(&self, role: Role) -> Option<&str> {
        self.0
            .iter()
            .find(|c| c.role >= role)
            .map(|c| c.token.as_str())
    }

    /// The credential holding `token`. Every stored token is compared in full, in time that
    /// does not depend on where they differ.
    pub fn find(&self, token: &str) -> Option<&Credential> {
        let mut found = None;
        for credential in &self.0 {
            if bool::from(credential.token.as_bytes().ct_eq(token.as_bytes())) {
                found = Some(credential);
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut f, text.as_bytes()).unwrap();
        f
    }

    #[test]
    fn tokens_come_from_the_file_and_the_environment() {
        let f = file(
            "[[tokens]]\nname = \"shipping\"\ntoken = \"0123456789abcdef-ship\"\nrole = \"ingest\"\n",
        );
        let all = Credentials::load(Some(f.path()), Some("admin-token-0123456789")).unwrap();
        assert_eq!(
            all.find("0123456789abcdef-ship").unwrap().role,
            Role::Ingest
        );
        assert_eq!(
            all.find("admin-token-0123456789").unwrap().role,
            Role::Admin
        );
        assert!(all.find("0123456789abcdef-shi").is_none());
        assert!(all.find("").is_none());
    }

    #[test]
    fn short_duplicate_or_misspelt_entries_are_refused_by_name() {
        let short = file("[[tokens]]\nname = \"a\"\ntoken = \"short\"\nrole = \"read\"\n");
        let e = Credentials::load(Some(short.path()), None).unwrap_err();
        assert!(e.to_string().contains("\"a\" is shorter than 16"), "{e}");
        let role =
            file("[[tokens]]\nname = \"a\"\ntoken = \"0123456789abcdef\"\nrole = \"root\"\n");
        let e = Credentials::load(Some(role.path()), None).unwrap_err();
        assert!(e.to_string().contains("unknown variant `root`"), "{e}");
        let twice = file(
            "[[tokens]]\nname = \"a\"\ntoken = \"0123456789abcdef\"\nrole = \"read\"\n[[tokens]]\nname = \"b\"\ntoken = \"0123456789abcdef\"\nrole = \"admin\"\n",
        );
        let e = Credentials::load(Some(twice.path()), None).unwrap_err();
        assert!(e.to_string().contains("\"b\" has the same token"), "{e}");
    }
}
