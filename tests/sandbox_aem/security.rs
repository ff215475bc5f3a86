//! Users, keystores and the authorizables servlet.

use super::*;

#[tokio::test]
async fn users_keystore_and_authorizables() {
    let e = start(Scenario::Fresh).await;
    let path = e.user_path("brandportal-imsconfig-service").await;
    assert!(path.starts_with("/home/users/system/"));
    assert_ne!(
        path, "/home/users/system/brandportal-imsconfig-service",
        "path must be resolved, not guessed"
    );
    let user = e.json(&format!("{path}.json")).await;
    assert_eq!(user["jcr:primaryType"], "rep:SystemUser");
    assert_eq!(user["rep:authorizableId"], "brandportal-imsconfig-service");

    // No keystore yet.
    assert_eq!(
        e.json(&format!("{path}.ks.json")).await,
        json!({"exists": false})
    );
    let cert = certificate::generate("brandlink test", 30).unwrap();
    let add = |e: &Env, pk: Vec<u8>, alias: &str| {
        let form = Form::new()
            .text("alias", alias.to_string())
            .part("pk", Part::bytes(pk).file_name("key.der"))
            .part(
                "cert-chain",
                Part::bytes(cert.cert_pem.clone().into_bytes()).file_name("cert.crt"),
            );
        e.post(&format!("{path}.ks.html")).multipart(form).send()
    };
    let r = add(&e, cert.private_key_der().to_vec(), "bp")
        .await
        .unwrap();
    assert_eq!(r.status(), 500, "adding a key before the store exists");
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("KeyStoreNotInitialisedException")
    );
    let create = [
        (":operation", "createStore"),
        ("newPassword", "s3cret"),
        ("rePassword", "s3cret"),
    ];
    let r = e
        .post(&format!("{path}.ks.html"))
        .query(&create)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        e.post(&format!("{path}.ks.html"))
            .query(&create)
            .send()
            .await
            .unwrap()
            .status(),
        409
    );
    assert_eq!(
        e.json(&format!("{path}.ks.json")).await,
        json!({"aliases": []})
    );
    let r = add(&e, cert.private_key_der().to_vec(), "bp")
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let ks = e.json(&format!("{path}.ks.json")).await;
    let entry = &ks["aliases"][0];
    assert_eq!(entry["alias"], "bp");
    assert_eq!(entry["entryType"], "privateKey");
    assert_eq!(entry["algorithm"], "RSA");
    assert_eq!(entry["chain"][0]["subject"], "CN=brandlink test");
    assert!(
        entry["chain"][0]["notAfter"]
            .as_str()
            .unwrap()
            .contains("UTC")
    );
    assert!(
        entry["chain"][0]["serialNumber"].is_number(),
        "serial may exceed 64 bits but is a number"
    );
    // A key that does not match the certificate is refused.
    let other = certificate::generate("other", 30).unwrap();
    let r = add(&e, other.private_key_der().to_vec(), "bad")
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = add(&e, b"not a key".to_vec(), "bad").await.unwrap();
    assert_eq!(r.status(), 400);
    let r = e
        .post(&format!("{path}.ks.html"))
        .form(&[("removeAlias", "bp")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        e.json(&format!("{path}.ks.json")).await,
        json!({"aliases": []})
    );

    // Create and delete a user.
    let form = [
        ("createUser", ""),
        ("authorizableId", "mac-acme-replication"),
        ("rep:password", "x1"),
        ("intermediatePath", "/home/users/mac"),
    ];
    let r = e
        .post("/libs/granite/security/post/authorizables")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = e
        .post("/libs/granite/security/post/authorizables")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 500, "an existing id fails");
    let mac = e.user_path("mac-acme-replication").await;
    assert!(mac.starts_with("/home/users/mac/"));
    let like = e
        .json("/bin/querybuilder.json?path=/home/users/mac&type=rep:User&property=rep:authorizableId&property.value=mac-%25&property.operation=like&p.limit=-1")
        .await;
    assert_eq!(like["total"], 1);
    let r = e
        .post(&mac)
        .form(&[("deleteAuthorizable", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        e.get(&format!("{mac}.json")).send().await.unwrap().status(),
        404
    );
    let q = e
        .json("/bin/querybuilder.json?path=/home/users&1_property=rep:authorizableId&1_property.value=mac-acme-replication&p.limit=-1")
        .await;
    assert_eq!(q["total"], 0);
    assert_eq!(q["hits"], json!([]));
}
