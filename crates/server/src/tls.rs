//! HTTPS: `--tls-cert FILE --tls-key FILE`, or `--tls-self-signed`, which makes a certificate
//! for `localhost` and the loopback addresses once and keeps it beside the data, so clients
//! trust it through `AWS_CA_BUNDLE`. Requests over TLS carry `aws:SecureTransport` true.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ServerConfig};
pub use tokio_rustls::TlsAcceptor;

/// The acceptor for a certificate chain and its key, both PEM files.
pub fn acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, String> {
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("cannot read the certificate {}: {e}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!("{} holds no certificate", cert.display()));
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| format!("cannot read the private key {}: {e}", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| format!("TLS: the certificate and key do not fit: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// The self-signed certificate and key in `dir` (`cert.pem`, `key.pem`), made if missing: for
/// `localhost`, `127.0.0.1` and `::1`. Returns their paths.
pub fn self_signed(dir: &Path) -> Result<(PathBuf, PathBuf), String> {
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    if cert.exists() && key.exists() {
        return Ok((cert, key));
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let names = vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
    ];
    let made = rcgen::generate_simple_self_signed(names)
        .map_err(|e| format!("cannot make a certificate: {e}"))?;
    write_private(&key, made.signing_key.serialize_pem().as_bytes())?;
    std::fs::write(&cert, made.cert.pem())
        .map_err(|e| format!("cannot write {}: {e}", cert.display()))?;
    Ok((cert, key))
}

/// Writes a file only its owner can read.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    file.write_all(bytes)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_self_signed_certificate_is_made_once_and_serves() {
        let dir = std::env::temp_dir().join(format!("dynostack-tls-{}", std::process::id()));
        let (cert, key) = self_signed(&dir).unwrap();
        let first = std::fs::read(&cert).unwrap();
        assert!(acceptor(&cert, &key).is_ok());
        let _ = self_signed(&dir).unwrap();
        assert_eq!(std::fs::read(&cert).unwrap(), first);
        assert!(acceptor(&key, &cert).is_err());
        let _ = std::fs::remove_dir_all(dir);
    }
}
