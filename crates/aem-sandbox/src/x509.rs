//! Certificates and keys as the emulated AEM keystore and the emulated IMS see them.
//!
//! The sandbox reads certificates with its own code (x509-parser's PEM reader and rcgen's key
//! parser), not with the client's: a bug in brandlink's certificate handling must make the
//! sandbox disagree, never agree.

use rcgen::{
    CertificateParams, DistinguishedName, DnType, IsCa, KeyPair, KeyUsagePurpose, PKCS_RSA_SHA256,
    RsaKeySize,
};
use sha1::{Digest, Sha1};
use x509_parser::pem::Pem;
use x509_parser::prelude::{FromDer, X509Certificate};

const RSA_OID: &str = "1.2.840.113549.1.1.1";

/// What the emulator needs from a certificate.
#[derive(Clone, Debug)]
pub struct Cert {
    pub subject: String,
    pub issuer: String,
    /// Epoch seconds.
    pub not_before: i64,
    pub not_after: i64,
    /// Decimal.
    pub serial: String,
    /// Lowercase hex SHA-1 of the DER.
    pub sha1: String,
    /// The RSA public key (PKCS#1 DER).
    pub public_key: Vec<u8>,
}

/// Reads one DER certificate. Only RSA keys are accepted, as Adobe IMS requires.
pub fn parse(der: &[u8]) -> Result<Cert, String> {
    let (_, c) = X509Certificate::from_der(der).map_err(|e| format!("not X.509: {e}"))?;
    let spki = c.public_key();
    if spki.algorithm.algorithm.to_id_string() != RSA_OID {
        return Err("the certificate's key is not RSA".into());
    }
    Ok(Cert {
        subject: c.subject().to_string(),
        issuer: c.issuer().to_string(),
        not_before: c.validity().not_before.timestamp(),
        not_after: c.validity().not_after.timestamp(),
        serial: c.tbs_certificate.serial.to_string(),
        sha1: hex::encode(Sha1::digest(der)),
        public_key: spki.subject_public_key.data.to_vec(),
    })
}

fn looks_pem(input: &[u8]) -> bool {
    input.windows(10).any(|w| w == b"-----BEGIN")
}

/// Every certificate of a PEM bundle, or the input itself when it is DER.
pub fn chain_der(input: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    if !looks_pem(input) {
        return Ok(vec![input.to_vec()]);
    }
    let mut out = Vec::new();
    for pem in Pem::iter_from_buffer(input) {
        let pem = pem.map_err(|e| format!("unreadable PEM: {e}"))?;
        if pem.label == "CERTIFICATE" {
            out.push(pem.contents);
        }
    }
    if out.is_empty() {
        return Err("no CERTIFICATE block in the PEM text".into());
    }
    Ok(out)
}

/// The first certificate of a PEM text, or the DER input.
pub fn cert_der(input: &[u8]) -> Result<Vec<u8>, String> {
    chain_der(input)?
        .into_iter()
        .next()
        .ok_or_else(|| "no certificate".into())
}

/// A PKCS#8 private key given as PEM or DER, as DER.
pub fn key_der(input: &[u8]) -> Result<Vec<u8>, String> {
    if !looks_pem(input) {
        return Ok(input.to_vec());
    }
    for pem in Pem::iter_from_buffer(input) {
        let pem = pem.map_err(|e| format!("unreadable PEM: {e}"))?;
        if pem.label == "PRIVATE KEY" {
            return Ok(pem.contents);
        }
    }
    Err("no PRIVATE KEY block in the PEM text".into())
}

/// The PKCS#1 public key of an RSA PKCS#8 private key (PEM or DER).
pub fn key_public(input: &[u8]) -> Result<Vec<u8>, String> {
    let der = key_der(input)?;
    let kp = KeyPair::try_from(der.as_slice()).map_err(|e| format!("not a PKCS#8 key: {e}"))?;
    if !kp.is_compatible(&PKCS_RSA_SHA256) {
        return Err("not an RSA key".into());
    }
    Ok(kp.public_key_raw().to_vec())
}

/// The PEM form of a PKCS#8 DER key (what the JWT signer takes).
pub fn key_pem(der: &[u8]) -> Result<String, String> {
    KeyPair::try_from(der)
        .map(|k| k.serialize_pem())
        .map_err(|e| format!("not a PKCS#8 key: {e}"))
}

/// A key pair and self-signed certificate, as the sandbox's configured scenarios need.
pub struct Issued {
    pub key_der: Vec<u8>,
    pub cert_der: Vec<u8>,
    pub cert_pem: String,
}

/// An RSA-2048 key with a self-signed SHA-256 certificate valid from `not_before` for `days`.
pub fn issue(
    common_name: &str,
    not_before: time::OffsetDateTime,
    days: i64,
) -> Result<Issued, String> {
    let key = KeyPair::generate_rsa_for(&PKCS_RSA_SHA256, RsaKeySize::_2048)
        .map_err(|e| e.to_string())?;
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(|e| e.to_string())?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common_name);
    params.distinguished_name = dn;
    params.not_before = not_before;
    params.not_after = not_before + time::Duration::days(days);
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    let cert = params.self_signed(&key).map_err(|e| e.to_string())?;
    Ok(Issued {
        key_der: key.serialize_der(),
        cert_der: cert.der().to_vec(),
        cert_pem: cert.pem(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_parse_and_match() {
        let now = time::OffsetDateTime::now_utc();
        let i = issue("sandbox", now, 30).unwrap();
        let c = parse(&cert_der(i.cert_pem.as_bytes()).unwrap()).unwrap();
        assert_eq!(c.subject, "CN=sandbox");
        assert_eq!(key_public(&i.key_der).unwrap(), c.public_key);
        let pem = key_pem(&i.key_der).unwrap();
        assert_eq!(key_der(pem.as_bytes()).unwrap(), i.key_der);
        assert_eq!(chain_der(i.cert_pem.as_bytes()).unwrap().len(), 1);
        assert!(parse(b"nope").is_err());
        assert!(cert_der(b"-----BEGIN X-----\nAAAA\n-----END X-----\n").is_err());
        assert!(key_public(b"nope").is_err());
    }
}
