//! The Brand Portal IMS key pair and its self-signed certificate (`AEM-Adobe-IMS.crt`).
//!
//! Adobe's recipe: RSA-2048, SHA-256 with RSA, at most 365 days, PEM X.509. The private key is
//! PKCS#8; AEM's keystore upload wants it as DER.

use rcgen::{
    CertificateParams, DistinguishedName, DnType, IsCa, KeyPair, KeyUsagePurpose, PKCS_RSA_SHA256,
    RsaKeySize, SerialNumber,
};
use secrecy::{ExposeSecret, SecretSlice};
use sha1::{Digest, Sha1};
use x509_parser::prelude::{FromDer, X509Certificate};

/// The longest validity Adobe's tooling issues.
pub const MAX_DAYS: u32 = 365;
pub const DEFAULT_COMMON_NAME: &str = "AEM Brand Portal IMS";
const RSA_OID: &str = "1.2.840.113549.1.1.1";

#[derive(Debug, thiserror::Error)]
pub enum CertError {
    #[error(
        "validity must be between 1 and {MAX_DAYS} days (got {0}); Adobe issues at most one year"
    )]
    Validity(u32),
    #[error("could not generate the key pair or certificate: {0}")]
    Generate(String),
    #[error("not an X.509 certificate in PEM or DER form: {0}")]
    Parse(String),
    #[error("the certificate does not hold an RSA public key; Adobe IMS needs RSA")]
    NotRsa,
    #[error("not a PKCS#8 RSA private key (expected `-----BEGIN PRIVATE KEY-----` or its DER)")]
    PrivateKey,
}

/// A freshly generated key pair and certificate. The private key is held as a secret and is
/// never printed by `Debug`.
pub struct GeneratedCertificate {
    pub cert_pem: String,
    pub cert_der: Vec<u8>,
    key_pkcs8_der: SecretSlice<u8>,
    pub info: CertInfo,
}

impl std::fmt::Debug for GeneratedCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeneratedCertificate")
            .field("info", &self.info)
            .field("private_key", &"[redacted]")
            .finish()
    }
}

impl GeneratedCertificate {
    /// PKCS#8 DER of the private key, as AEM's `.ks.html` `pk` field takes it.
    pub fn private_key_der(&self) -> &[u8] {
        self.key_pkcs8_der.expose_secret()
    }
    pub fn private_key_secret(&self) -> SecretSlice<u8> {
        self.key_pkcs8_der.expose_secret().to_vec().into()
    }
    /// `-----BEGIN PRIVATE KEY-----` PEM of the private key.
    pub fn private_key_pem(&self) -> zeroize::Zeroizing<String> {
        zeroize::Zeroizing::new(pkcs8_der_to_pem(self.private_key_der()))
    }
}

/// What brandlink shows about a certificate. In JSON: camelCase, times in RFC 3339.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CertInfo {
    pub subject: String,
    pub issuer: String,
    /// Epoch seconds.
    #[serde(serialize_with = "crate::when::json::secs")]
    pub not_before: i64,
    #[serde(serialize_with = "crate::when::json::secs")]
    pub not_after: i64,
    /// Decimal; may exceed 64 bits.
    pub serial: String,
    /// SHA-1 of the DER, lowercase hex without colons, as the Developer Console shows it.
    pub sha1_fingerprint: String,
    #[serde(skip)]
    pub rsa_public_key_pkcs1: Vec<u8>,
}

impl CertInfo {
    pub fn days_left(&self, now_epoch_secs: i64) -> i64 {
        (self.not_after - now_epoch_secs).div_euclid(86_400)
    }
}

/// Generates an RSA-2048 key and a self-signed SHA-256 certificate valid for `days` days.
pub fn generate(common_name: &str, days: u32) -> Result<GeneratedCertificate, CertError> {
    if days == 0 || days > MAX_DAYS {
        return Err(CertError::Validity(days));
    }
    let key = KeyPair::generate_rsa_for(&PKCS_RSA_SHA256, RsaKeySize::_2048)
        .map_err(|e| CertError::Generate(e.to_string()))?;
    let mut params = CertificateParams::new(Vec::<String>::new())
        .map_err(|e| CertError::Generate(e.to_string()))?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common_name);
    params.distinguished_name = dn;
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::minutes(5);
    params.not_after = now + time::Duration::days(i64::from(days));
    let mut serial: [u8; 16] = rand::random();
    serial[0] &= 0x7f;
    serial[0] |= 0x10;
    params.serial_number = Some(SerialNumber::from_slice(&serial));
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    let cert = params
        .self_signed(&key)
        .map_err(|e| CertError::Generate(e.to_string()))?;
    let cert_der = cert.der().to_vec();
    let info = describe(&cert_der)?;
    Ok(GeneratedCertificate {
        cert_pem: cert.pem(),
        cert_der,
        key_pkcs8_der: key.serialize_der().into(),
        info,
    })
}

/// Accepts a certificate as PEM (first `CERTIFICATE` block) or DER and returns its DER.
pub fn certificate_der(input: &[u8]) -> Result<Vec<u8>, CertError> {
    if let Ok(text) = std::str::from_utf8(input)
        && text.contains("-----BEGIN")
    {
        return pem_block(text, "CERTIFICATE")
            .ok_or_else(|| CertError::Parse("no CERTIFICATE block in the PEM text".into()));
    }
    Ok(input.to_vec())
}

/// All certificates of a PEM bundle, or the single DER certificate.
pub fn certificate_chain_der(input: &[u8]) -> Result<Vec<Vec<u8>>, CertError> {
    if let Ok(text) = std::str::from_utf8(input)
        && text.contains("-----BEGIN")
    {
        let blocks = pem_blocks(text, "CERTIFICATE");
        if blocks.is_empty() {
            return Err(CertError::Parse(
                "no CERTIFICATE block in the PEM text".into(),
            ));
        }
        return Ok(blocks);
    }
    Ok(vec![input.to_vec()])
}

/// Parses a DER certificate into what brandlink displays.
pub fn describe(der: &[u8]) -> Result<CertInfo, CertError> {
    let (_, cert) = X509Certificate::from_der(der).map_err(|e| CertError::Parse(e.to_string()))?;
    let spki = cert.public_key();
    if spki.algorithm.algorithm.to_id_string() != RSA_OID {
        return Err(CertError::NotRsa);
    }
    Ok(CertInfo {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        not_before: cert.validity().not_before.timestamp(),
        not_after: cert.validity().not_after.timestamp(),
        serial: cert.tbs_certificate.serial.to_string(),
        sha1_fingerprint: sha1_fingerprint(der),
        rsa_public_key_pkcs1: spki.subject_public_key.data.to_vec(),
    })
}

pub fn sha1_fingerprint(der: &[u8]) -> String {
    hex::encode(Sha1::digest(der))
}

/// The PKCS#1 public key of a PKCS#8 RSA private key (DER or PEM).
pub fn private_key_public_pkcs1(pkcs8: &[u8]) -> Result<Vec<u8>, CertError> {
    let der = private_key_der(pkcs8)?;
    let kp = KeyPair::try_from(der.as_slice()).map_err(|_| CertError::PrivateKey)?;
    if !kp.is_compatible(&PKCS_RSA_SHA256) {
        return Err(CertError::PrivateKey);
    }
    Ok(kp.public_key_raw().to_vec())
}

/// Accepts a PKCS#8 private key as PEM or DER and returns the DER.
pub fn private_key_der(input: &[u8]) -> Result<zeroize::Zeroizing<Vec<u8>>, CertError> {
    if let Ok(text) = std::str::from_utf8(input)
        && text.contains("-----BEGIN")
    {
        return pem_block(text, "PRIVATE KEY")
            .map(zeroize::Zeroizing::new)
            .ok_or(CertError::PrivateKey);
    }
    Ok(zeroize::Zeroizing::new(input.to_vec()))
}

pub fn pkcs8_der_to_pem(der: &[u8]) -> String {
    to_pem("PRIVATE KEY", der)
}

pub fn to_pem(label: &str, der: &[u8]) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

fn pem_block(text: &str, label: &str) -> Option<Vec<u8>> {
    pem_blocks(text, label).into_iter().next()
}

fn pem_blocks(text: &str, label: &str) -> Vec<Vec<u8>> {
    use base64::Engine;
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(&begin) {
        let after = &rest[start + begin.len()..];
        let Some(stop) = after.find(&end) else { break };
        let b64: String = after[..stop]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        if let Ok(der) = base64::engine::general_purpose::STANDARD.decode(b64) {
            out.push(der);
        }
        rest = &after[stop + end.len()..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_rsa_2048_sha256_within_a_year() {
        let g = generate("test", 365).unwrap();
        assert!(g.cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert_eq!(g.info.subject, "CN=test");
        assert_eq!(g.info.subject, g.info.issuer);
        let span = g.info.not_after - g.info.not_before;
        assert!(span <= 365 * 86_400 + 600, "validity {span}s");
        assert_eq!(g.info.sha1_fingerprint.len(), 40);
        // The key matches the certificate.
        let pk = private_key_public_pkcs1(g.private_key_der()).unwrap();
        assert_eq!(pk, g.info.rsa_public_key_pkcs1);
        // PEM round trip.
        let pem = g.private_key_pem();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        assert_eq!(
            &*private_key_der(pem.as_bytes()).unwrap(),
            g.private_key_der()
        );
        assert_eq!(certificate_der(g.cert_pem.as_bytes()).unwrap(), g.cert_der);
        assert!(!format!("{g:?}").contains("PRIVATE"));
        // JSON: camelCase, RFC 3339 times.
        let j = serde_json::to_value(&g.info).unwrap();
        assert!(j["notAfter"].as_str().unwrap().ends_with('Z'), "{j}");
        assert_eq!(j["sha1Fingerprint"].as_str().unwrap().len(), 40);
        assert!(j.get("not_after").is_none());
    }

    #[test]
    fn refuses_long_validity() {
        assert!(matches!(generate("x", 366), Err(CertError::Validity(366))));
        assert!(matches!(generate("x", 0), Err(CertError::Validity(0))));
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(describe(b"nope").is_err());
        assert!(certificate_der(b"-----BEGIN X-----\n-----END X-----").is_err());
        assert!(private_key_public_pkcs1(b"nope").is_err());
    }
}
