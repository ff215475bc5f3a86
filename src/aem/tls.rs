//! TLS beyond the defaults: `--tls-pin` (accept exactly one server certificate, by its SHA-256
//! fingerprint: the safe alternative to `--insecure` for a self-signed author), and, when a
//! handshake fails, a description of the certificate the server showed so the operator can
//! decide (subject, whether it is marked as a CA, its fingerprint).

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use sha2::{Digest, Sha256};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A SHA-256 certificate fingerprint.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint(pub [u8; 32]);

impl Fingerprint {
    pub fn of(der: &[u8]) -> Fingerprint {
        Fingerprint(Sha256::digest(der).into())
    }

    /// Reads `AB:CD:…` (as `openssl x509 -fingerprint -sha256` prints it) or plain hex.
    pub fn parse(text: &str) -> Result<Fingerprint, String> {
        let t = text.trim();
        let t = t
            .strip_prefix("sha256:")
            .or(t.strip_prefix("SHA256:"))
            .unwrap_or(t);
        let t = t
            .strip_prefix("sha256 Fingerprint=")
            .or(t.strip_prefix("SHA256 Fingerprint="))
            .unwrap_or(t);
        let hexits: String = t.chars().filter(|c| *c != ':' && *c != ' ').collect();
        let bytes = hex::decode(&hexits).map_err(|_| {
            format!(
                "--tls-pin '{text}' is not a SHA-256 fingerprint (64 hex digits, colons allowed)"
            )
        })?;
        let arr: [u8; 32] = bytes.try_into().map_err(|_| {
            format!(
                "--tls-pin '{text}' is not a SHA-256 fingerprint: it needs 32 bytes (64 hex digits)"
            )
        })?;
        Ok(Fingerprint(arr))
    }
}

impl std::fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|b| format!("{b:02X}")).collect();
        f.write_str(&parts.join(":"))
    }
}

impl std::fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

/// Accepts the server certificate whose fingerprint is `pin` (signatures are still checked,
/// so the server must hold its key); with no pin it accepts nothing and only records what it
/// was shown.
#[derive(Debug)]
struct PinVerifier {
    pin: Option<Fingerprint>,
    seen: Arc<Mutex<Option<Vec<u8>>>>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for PinVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Ok(mut seen) = self.seen.lock() {
            *seen = Some(end_entity.as_ref().to_vec());
        }
        match self.pin {
            Some(pin) if pin == Fingerprint::of(end_entity.as_ref()) => {
                Ok(ServerCertVerified::assertion())
            }
            Some(_) => Err(rustls::Error::General(
                "the server's certificate is not the one --tls-pin names".into(),
            )),
            None => Err(rustls::Error::General("certificate recorded".into())),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

fn pinned_config(
    pin: Option<Fingerprint>,
    seen: Arc<Mutex<Option<Vec<u8>>>>,
) -> Result<rustls::ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = PinVerifier {
        pin,
        seen,
        provider: provider.clone(),
    };
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth())
}

/// The TLS configuration that trusts exactly the certificate `pin` names.
pub fn pinned(pin: Fingerprint) -> Result<rustls::ClientConfig, String> {
    pinned_config(Some(pin), Arc::new(Mutex::new(None)))
}

/// What the server at `url` presents, read with a handshake that trusts nothing.
pub struct PeerCertificate {
    pub fingerprint: Fingerprint,
    pub subject: String,
    pub is_ca: bool,
    pub self_signed: bool,
}

impl PeerCertificate {
    /// One sentence for an error message: what the certificate is and how to trust it.
    pub fn advice(&self) -> String {
        let what = if self.is_ca {
            "is marked as a CA (basicConstraints CA:TRUE, as `openssl req -x509` makes by default), and TLS never accepts a CA certificate as a server's own, even with --ca-cert: issue the server a certificate signed by that CA"
        } else if self.self_signed {
            "is self-signed: pass it with --ca-cert"
        } else {
            "is not signed by a CA this machine trusts: pass the issuing CA with --ca-cert"
        };
        format!(
            "the server's certificate ({}) {what}; or, if you trust exactly this certificate, --tls-pin {} accepts it (safer than --insecure)",
            self.subject, self.fingerprint
        )
    }
}

/// Reads the server's certificate without trusting it (one extra handshake, after a failed
/// one), or `None` when there is no TLS server there.
pub async fn peer_certificate(url: &str, timeout: Duration) -> Option<PeerCertificate> {
    let seen = Arc::new(Mutex::new(None));
    let config = pinned_config(None, seen.clone()).ok()?;
    let client = reqwest::Client::builder()
        .tls_backend_preconfigured(config)
        .timeout(timeout.min(Duration::from_secs(10)))
        .build()
        .ok()?;
    let _ = client.head(url).send().await;
    let der = seen.lock().ok()?.take()?;
    let fingerprint = Fingerprint::of(&der);
    let (subject, is_ca, self_signed) = match x509_parser::parse_x509_certificate(&der) {
        Ok((_, cert)) => (
            cert.subject().to_string(),
            cert.basic_constraints()
                .ok()
                .flatten()
                .is_some_and(|b| b.value.ca),
            cert.subject() == cert.issuer(),
        ),
        Err(_) => ("unreadable".into(), false, false),
    };
    Some(PeerCertificate {
        fingerprint,
        subject,
        is_ca,
        self_signed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_read_as_openssl_prints_them() {
        let f = Fingerprint::of(b"x");
        let shown = f.to_string();
        assert_eq!(shown.len(), 32 * 3 - 1);
        assert_eq!(Fingerprint::parse(&shown).unwrap(), f);
        assert_eq!(
            Fingerprint::parse(&shown.replace(':', "").to_lowercase()).unwrap(),
            f
        );
        assert_eq!(
            Fingerprint::parse(&format!("sha256 Fingerprint={shown}")).unwrap(),
            f
        );
        assert!(
            Fingerprint::parse("AB:CD")
                .unwrap_err()
                .contains("32 bytes")
        );
        assert!(
            Fingerprint::parse("zz")
                .unwrap_err()
                .contains("64 hex digits")
        );
    }
}
