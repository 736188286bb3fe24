//! TLS for the UI and the ingest APIs: a certificate chain and its private key, PEM files, as
//! web servers and certificate tools (certbot, step, mkcert, openssl) write them.

use crate::WebError;
use std::path::Path;
use std::sync::Arc;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::TlsAcceptor;

/// Reads `cert` (a PEM chain, leaf first) and `key` (a PEM private key: PKCS#8, PKCS#1 or
/// SEC1) into an acceptor offering HTTP/1.1 and HTTP/2. Errors name the file at fault.
pub fn acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, WebError> {
    let bad = |path: &Path, what: &str, e: &dyn std::fmt::Display| {
        WebError::Setup(format!("{}: {what}: {e}", path.display()))
    };
    let chain = CertificateDer::pem_file_iter(cert)
        .map_err(|e| bad(cert, "cannot read the certificate", &e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(cert, "not a PEM certificate chain", &e))?;
    if chain.is_empty() {
        return Err(bad(
            cert,
            "no certificate",
            &"the file holds no CERTIFICATE block",
        ));
    }
    let key =
        PrivateKeyDer::from_pem_file(key).map_err(|e| bad(key, "not a PEM private key", &e))?;
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| bad(cert, "TLS set-up", &e))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| bad(cert, "the key does not fit the certificate", &e))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}
