//! TLS against a real HTTPS server on 127.0.0.1: a self-signed certificate marked as a CA
//! (what `openssl req -x509` makes) is refused even with --ca-cert, explained in words with
//! the certificate's fingerprint; --tls-pin with that fingerprint accepts exactly it; a wrong
//! pin is refused; the TLS library's own log lines never reach the terminal.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test may stop at what it did not expect

use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

struct Server {
    base: String,
    ca_pem: String,
    fingerprint: String,
}

async fn https_server() -> Server {
    let mut params = CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let key = KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    let fingerprint = brandlink::aem::tls::Fingerprint::of(cert.der()).to_string();
    let config = tokio_rustls::rustls::ServerConfig::builder_with_provider(Arc::new(
        tokio_rustls::rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![cert.der().clone()],
        tokio_rustls::rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
    )
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("https://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = [0u8; 8192];
                let _ = tls.read(&mut buf).await;
                let _ = tls
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
                    .await;
                let _ = tls.shutdown().await;
            });
        }
    });
    Server {
        base,
        ca_pem: cert.pem(),
        fingerprint,
    }
}

async fn brandlink(args: Vec<String>) -> (Option<i32>, String) {
    let out = tokio::task::spawn_blocking(move || {
        assert_cmd::Command::cargo_bin("brandlink")
            .unwrap()
            .args(&args)
            .env("AEM_PASSWORD", "admin")
            .env("XDG_CONFIG_HOME", "/nonexistent-brandlink")
            .env_remove("RUST_LOG")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ca_certificate_as_the_servers_own_is_explained_and_can_be_pinned() {
    let s = https_server().await;
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("author.pem");
    std::fs::write(&ca, &s.ca_pem).unwrap();
    let args = |extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = vec!["--url".into(), s.base.clone()];
        v.extend(extra.iter().map(|a| a.to_string()));
        v.push("agents".into());
        v
    };

    // --ca-cert cannot help: said in words, with the pin that can.
    let (code, err) = brandlink(args(&["--ca-cert", ca.to_str().unwrap()])).await;
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("marked as a CA"), "{err}");
    assert!(
        err.contains(&format!("--tls-pin {}", s.fingerprint)),
        "{err}"
    );
    assert!(!err.contains("CaUsedAsEndEntity"), "library jargon: {err}");
    assert!(!err.contains("ERROR"), "a library's log line: {err}");

    // The pin accepts exactly this certificate: TLS passes, and what fails next is not TLS.
    let (_, err) = brandlink(args(&["--tls-pin", &s.fingerprint])).await;
    assert!(!err.contains("TLS"), "{err}");

    // Another pin is refused; what this connection presented (maybe an attacker's) is never
    // offered as the one to pin.
    let wrong = "00:".repeat(31) + "00";
    let (code, err) = brandlink(args(&["--tls-pin", &wrong])).await;
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("TLS"), "{err}");
    assert!(err.contains("other than the pinned one"), "{err}");
    assert!(!err.contains(&s.fingerprint), "{err}");

    // A malformed pin is a usage error.
    let (code, err) = brandlink(args(&["--tls-pin", "abc"])).await;
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("SHA-256 fingerprint"), "{err}");
}
