//! The whole first-time setup through the real binary against a fresh sandbox, a second run
//! that changes nothing, OAuth Server-to-Server, and no secret in any output.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test may stop at what it did not expect

#[path = "../common/mod.rs"]
mod common;
mod trace;

use brandlink::sandbox::{SandboxConfig, Scenario};
use serde_json::Value;

const ADMIN_PW: &str = "Adm1n-S3cret-Pw";
const KS_PW: &str = "Keyst0re-S3cret";

fn sandbox_cfg() -> SandboxConfig {
    SandboxConfig {
        admin_password: ADMIN_PW.into(),
        ..common::config(Scenario::Fresh)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_time_setup_through_the_cli_jwt() {
    // The documented JWT procedure, on an author from before OAuth Server-to-Server.
    let e = common::start_with(SandboxConfig {
        product_version: "6.5.17.0".into(),
        ..sandbox_cfg()
    })
    .await;
    let run = common::Cli::new(&e);
    let dir = tempfile::tempdir().unwrap();
    let crt = dir.path().join("AEM-Adobe-IMS.crt");
    let key = dir.path().join("private.pem");
    let crt_s = crt.to_str().unwrap();
    let key_s = key.to_str().unwrap();

    // Nothing yet: status is unhealthy (exit 1) and says what is missing.
    let (code, st) = run.json(&["status"], &[]).await;
    assert_eq!(code, 1);
    assert_eq!(st["ok"], false);
    assert_eq!(st["steps"][0]["status"]["state"], "pending");
    assert_eq!(st["integration"]["agents"], serde_json::json!([]));

    // 1. Certificate (keystore created with the password from the environment).
    let (code, v) = run
        .json(
            &[
                "cert",
                "create",
                "--alias",
                "brandportal",
                "--out",
                crt_s,
                "--save-key",
                key_s,
            ],
            &[("BRANDLINK_KEYSTORE_PASSWORD", KS_PW)],
        )
        .await;
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["changed"], true);
    assert_eq!(v["createdKeystore"], true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let (code, v) = run
        .json(
            &["cert", "create", "--alias", "brandportal", "--out", crt_s],
            &[],
        )
        .await;
    assert_eq!(
        (code, &v["changed"]),
        (0, &Value::Bool(false)),
        "second run changes nothing"
    );
    // The certificate file lost: a re-run writes it again from AEM's keystore (with the
    // keystore password), identical, and still changes nothing in AEM.
    let original = std::fs::read_to_string(&crt).unwrap();
    std::fs::remove_file(&crt).unwrap();
    let (code, v) = run
        .json(
            &["cert", "create", "--alias", "brandportal", "--out", crt_s],
            &[],
        )
        .await;
    assert_eq!(code, 2, "no keystore password: {v}");
    assert!(
        v["error"]
            .as_str()
            .unwrap_or("")
            .contains("BRANDLINK_KEYSTORE_PASSWORD"),
        "{v}"
    );
    let (code, v) = run
        .json(
            &["cert", "create", "--alias", "brandportal", "--out", crt_s],
            &[("BRANDLINK_KEYSTORE_PASSWORD", KS_PW)],
        )
        .await;
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["changed"], false);
    assert_eq!(v["certificateRewritten"], true, "{v}");
    let again = std::fs::read_to_string(&crt).unwrap();
    assert_eq!(
        brandlink::ims::certificate::certificate_der(again.as_bytes()).unwrap(),
        brandlink::ims::certificate::certificate_der(original.as_bytes()).unwrap(),
        "the same certificate"
    );
    // openssl agrees the certificate is RSA-2048/SHA-256 and matches the key.
    if std::process::Command::new("openssl")
        .arg("version")
        .output()
        .is_ok()
    {
        let text = std::process::Command::new("openssl")
            .args(["x509", "-in", crt_s, "-noout", "-text"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&text.stdout);
        assert!(text.contains("sha256WithRSAEncryption"));
        assert!(text.contains("2048 bit"));
        let m1 = std::process::Command::new("openssl")
            .args(["x509", "-in", crt_s, "-noout", "-modulus"])
            .output()
            .unwrap()
            .stdout;
        let m2 = std::process::Command::new("openssl")
            .args(["rsa", "-in", key_s, "-noout", "-modulus"])
            .output()
            .unwrap()
            .stdout;
        assert_eq!(m1, m2, "certificate and key match");
    }

    // 2. The emulated Developer Console.
    let creds = common::console_project(&e, &std::fs::read(&crt).unwrap()).await;
    let secret = creds["clientSecret"].as_str().unwrap().to_string();
    let api_key = creds["apiKey"].as_str().unwrap().to_string();
    let payload = dir.path().join("payload.json");
    std::fs::write(&payload, creds["jwtPayload"].to_string()).unwrap();
    let payload_arg = format!("@{}", payload.display());

    // 3. Account.
    let account = [
        "account",
        "create",
        "--title",
        "Brand Portal",
        "--api-key",
        &api_key,
        "--payload",
        &payload_arg,
    ];
    let (code, v) = run
        .json(&account, &[("BRANDLINK_CLIENT_SECRET", &secret)])
        .await;
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["changed"], true);
    let (code, v) = run
        .json(&account, &[("BRANDLINK_CLIENT_SECRET", &secret)])
        .await;
    assert_eq!((code, &v["changed"]), (0, &Value::Bool(false)));
    // A second, different configuration is refused.
    let (code, v) = run
        .json(
            &[
                "account",
                "create",
                "--title",
                "Other",
                "--api-key",
                "0123456789abcdef",
                "--payload",
                &payload_arg,
            ],
            &[("BRANDLINK_CLIENT_SECRET", "x")],
        )
        .await;
    assert_eq!(code, 2, "{v}");
    let (code, v) = run
        .json(
            &[
                "account",
                "create",
                "--title",
                "Other",
                "--api-key",
                &api_key,
                "--oauth",
                "--scopes",
                "openid",
                "--org-id",
                "ABCDEF0123456789ABCDEF01@AdobeOrg",
            ],
            &[("BRANDLINK_CLIENT_SECRET", &secret)],
        )
        .await;
    assert_eq!(code, 1, "{v}");
    assert!(v["error"].as_str().unwrap().contains("only one"));

    // Check Health with the key file, and with the keystore's PKCS#12.
    let (code, v) = run
        .json(
            &["account", "check", "--key-file", key_s],
            &[("BRANDLINK_CLIENT_SECRET", &secret)],
        )
        .await;
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["health"]["message"], "Token retrieved successfully");
    assert_eq!(v["health"]["method"], "jwt-exchange");
    let exp = v["health"]["expiresInSecs"].as_u64().unwrap();
    assert!((86_000..=86_400).contains(&exp), "ms read as ms: {exp}");
    let (code, v) = run
        .json(
            &["account", "check", "--keystore"],
            &[
                ("BRANDLINK_CLIENT_SECRET", &secret),
                ("BRANDLINK_KEYSTORE_PASSWORD", KS_PW),
            ],
        )
        .await;
    assert_eq!(code, 0, "{v}");
    let (code, v) = run
        .json(
            &["account", "check", "--keystore"],
            &[
                ("BRANDLINK_CLIENT_SECRET", &secret),
                ("BRANDLINK_KEYSTORE_PASSWORD", "wrong"),
            ],
        )
        .await;
    assert_eq!(code, 1);
    assert!(
        v["error"].as_str().unwrap().contains("wrong password"),
        "{v}"
    );
    // A wrong secret: IMS's 401 with the operator's next step.
    let (code, v) = run
        .json(
            &["account", "check", "--key-file", key_s],
            &[("BRANDLINK_CLIENT_SECRET", "wrong-secret")],
        )
        .await;
    assert_eq!(code, 1);
    assert!(
        v["health"]["message"]
            .as_str()
            .unwrap()
            .contains("check the client secret"),
        "{v}"
    );

    // 4. Cloud service → four agents.
    let tenant = e.sb.tenant_url();
    let (code, v) = run
        .json(
            &[
                "cloud",
                "create",
                "--title",
                "Brand Portal",
                "--service-url",
                "https://wknd.example.com",
            ],
            &[],
        )
        .await;
    assert_eq!(code, 2, "{v}");
    let cloud = [
        "cloud",
        "create",
        "--title",
        "Brand Portal",
        "--service-url",
        &tenant,
    ];
    let (code, v) = run.json(&cloud, &[]).await;
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["agents"].as_array().unwrap().len(), 4);
    let (code, v) = run.json(&cloud, &[]).await;
    assert_eq!((code, &v["changed"]), (0, &Value::Bool(false)));

    // 5. Test Connection on all four.
    let (code, v) = run.json(&["agents", "--test"], &[]).await;
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["tests"].as_array().unwrap().len(), 4);
    assert!(
        v["tests"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["success"] == true)
    );
    // AEM-side Check Health without any key here.
    let (code, v) = run.json(&["account", "check"], &[]).await;
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["health"]["method"], "aem-test-connection");

    // Status: everything done.
    let (code, st) = run.json(&["status"], &[]).await;
    assert_eq!(code, 0, "{st}");
    assert!(
        st["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["status"]["state"] == "done"),
        "{st}"
    );
    assert_eq!(st["integration"]["agents"].as_array().unwrap().len(), 4);
    let out = run.run(&["status"], &[]).await;
    assert!(String::from_utf8_lossy(&out.stdout).contains("Replication"));
    let (code, q) = run.json(&["queues"], &[]).await;
    assert_eq!(code, 0, "{q}");
    assert_eq!(q["queues"].as_array().unwrap().len(), 4);
    // The JWT setup brandlink completed passes its own doctor, warning only of what it could
    // not avoid on this author: JWT is retired and OAuth needs the hotfix here (the certificate
    // is fresh; Close Connection is not needed without timeouts).
    let (code, d) = run.json(&["doctor"], &[]).await;
    assert_eq!(code, 0, "{d}");
    let warned: Vec<&str> = d["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] != "ok" && f["status"] != "skip")
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(warned, ["aem.oauth", "ims.credential"], "{d}");

    // The sandbox holds exactly one IMS configuration, one cloud configuration, four agents.
    let state: Value = e
        .http
        .get(e.url("/sandbox/control/state"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(state["imsConfigs"].as_array().unwrap().len(), 1);
    assert_eq!(state["cloudConfigs"].as_array().unwrap().len(), 1);

    // No secret anywhere in what the commands printed.
    let transcript = run.transcript.lock().unwrap().clone();
    let pem = std::fs::read_to_string(&key).unwrap();
    let key_line = pem.lines().nth(3).unwrap();
    for (name, s) in [
        ("AEM password", ADMIN_PW),
        ("keystore password", KS_PW),
        ("client secret", secret.as_str()),
        ("private key", key_line),
    ] {
        assert!(!transcript.contains(s), "{name} leaked into the output");
    }
    assert!(!transcript.contains("eyJ"), "no token in the output");
    use base64::Engine;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("admin:{ADMIN_PW}"));
    assert!(
        !transcript.contains(&basic),
        "no Basic credentials in the logs"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth_server_to_server_setup() {
    let e = common::start_with(sandbox_cfg()).await;
    let run = common::Cli::new(&e);
    // On 6.5.21+ the retired JWT certificate is not a step of its own.
    let (_, st) = run.json(&["status"], &[]).await;
    assert_eq!(st["steps"][0]["status"]["state"], "done", "{st}");
    assert!(
        st["steps"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("not needed with OAuth"),
        "{st}"
    );
    assert_eq!(st["integration"]["oauthSupport"], "yes");
    let dir = tempfile::tempdir().unwrap();
    let crt = dir.path().join("c.crt");
    // The Console still needs a certificate for the project in the sandbox; OAuth itself does not.
    let g = brandlink::ims::certificate::generate("x", 10).unwrap();
    std::fs::write(&crt, &g.cert_pem).unwrap();
    let creds = common::console_project(&e, &std::fs::read(&crt).unwrap()).await;
    let [id, secret, scopes, org] = common::oauth_credential(&creds);
    let (code, v) = run
        .json(
            &[
                "account",
                "create",
                "--title",
                "Brand Portal",
                "--api-key",
                &id,
                "--oauth",
                "--scopes",
                &scopes,
                "--org-id",
                &org,
            ],
            &[("BRANDLINK_CLIENT_SECRET", &secret)],
        )
        .await;
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["authType"], "oauth-server-to-server");
    // The same client id again: the same values change nothing; other values are shown, not
    // answered "ok".
    let create = |scopes: &str| {
        [
            "account",
            "create",
            "--title",
            "Brand Portal",
            "--api-key",
            &id,
            "--oauth",
            "--scopes",
            scopes,
            "--org-id",
            &org,
        ]
        .map(str::to_string)
    };
    let same = create(&scopes);
    let same: Vec<&str> = same.iter().map(String::as_str).collect();
    let (code, v) = run
        .json(&same, &[("BRANDLINK_CLIENT_SECRET", &secret)])
        .await;
    assert_eq!((code, &v["changed"]), (0, &Value::Bool(false)), "{v}");
    let other = create("openid,AdobeID");
    let other: Vec<&str> = other.iter().map(String::as_str).collect();
    let (code, v) = run
        .json(&other, &[("BRANDLINK_CLIENT_SECRET", &secret)])
        .await;
    assert_eq!(code, 1, "{v}");
    let error = v["error"].as_str().unwrap();
    assert!(
        error.contains("scopes: stored") && error.contains("--scopes openid,AdobeID"),
        "{error}"
    );
    let (code, v) = run
        .json(
            &["account", "check"],
            &[("BRANDLINK_CLIENT_SECRET", &secret)],
        )
        .await;
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["health"]["method"], "oauth-client-credentials");
    assert_eq!(v["health"]["expiresInSecs"], 86_399);
    // The cloud configuration and the agents work with OAuth too.
    let tenant = e.sb.tenant_url();
    let (code, v) = run
        .json(
            &["cloud", "create", "--title", "BP", "--service-url", &tenant],
            &[],
        )
        .await;
    assert_eq!(code, 0, "{v}");
    let (code, v) = run.json(&["agents", "--test"], &[]).await;
    assert_eq!(code, 0, "{v}");
    let (code, st) = run.json(&["status"], &[]).await;
    assert_eq!(code, 0, "{st}");
    // A setup brandlink completed passes its own doctor with nothing to warn about.
    let (code, d) = run.json(&["doctor"], &[]).await;
    assert_eq!(code, 0, "{d}");
    assert_eq!(d["counts"]["warn"], 0, "{d}");
    assert_eq!(d["counts"]["fail"], 0, "{d}");
    let transcript = run.transcript.lock().unwrap().clone();
    assert!(!transcript.contains(&secret));
    assert!(!transcript.contains(ADMIN_PW));
}
