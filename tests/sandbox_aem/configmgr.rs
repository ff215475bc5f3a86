//! Felix's configMgr: factory configurations created and read (secrets hidden), listed by
//! filter, updated and deleted.

use super::*;

#[tokio::test]
async fn config_manager() {
    let e = start(Scenario::Fresh).await;
    let fpid = "com.adobe.granite.auth.oauth.accesstoken.provider";
    let create = format!(
        "/system/console/configMgr/{}",
        "%5BTemporary%20PID%20replaced%20by%20real%20PID%20upon%20save%5D"
    );
    let r = e
        .post(&create)
        .form(&[
            ("apply", "true"),
            ("action", "ajaxConfigManager"),
            ("factoryPid", fpid),
            ("propertylist", "name,auth.token.provider.title,auth.token.provider.default.claims,auth.token.provider.client.id,auth.token.provider.reuse.access.token"),
            ("name", "brandportal"),
            ("auth.token.provider.title", "Brand Portal"),
            ("auth.token.provider.default.claims", "\"iss\" : \"ABC@AdobeOrg\""),
            ("auth.token.provider.default.claims", "\"sub\" : \"DEF@techacct.adobe.com\""),
            ("auth.token.provider.client.id", "abc123"),
            ("auth.token.provider.reuse.access.token", "true"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    let pid = loc.rsplit('/').next().unwrap().to_string();
    assert!(pid.starts_with(&format!("{fpid}.")));
    let read = e
        .json(&format!("/system/console/configMgr/{pid}.json"))
        .await;
    let c = &read[0];
    assert_eq!(c["pid"], pid.as_str());
    assert_eq!(c["factoryPid"], fpid);
    assert_eq!(
        c["properties"]["auth.token.provider.client.id"]["value"],
        "abc123"
    );
    assert_eq!(
        c["properties"]["auth.token.provider.default.claims"]["values"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        c["properties"]["auth.token.provider.reuse.access.token"]["value"],
        true
    );
    // Secrets on the customizer are never shown.
    let r = e
        .post(&create)
        .form(&[
            ("apply", "true"),
            (
                "factoryPid",
                "com.adobe.granite.auth.ims.impl.IMSAccessTokenRequestCustomizerImpl",
            ),
            ("propertylist", "customizer.type,auth.ims.client.secret"),
            ("customizer.type", "bp"),
            ("auth.ims.client.secret", "p8e-topsecret"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    let cpid = r.headers()["location"]
        .to_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    let text = e
        .text(&format!("/system/console/configMgr/{cpid}.json"))
        .await;
    assert!(!text.contains("topsecret"));
    assert!(text.contains("unmodified"));
    // Filter listing and the HTML fallback.
    let list = e
        .json(&format!(
            "/system/console/configMgr/(service.factoryPid={fpid}).json"
        ))
        .await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    let html = e.text("/system/console/configMgr").await;
    assert!(html.contains("configData = {"));
    assert!(html.contains(&pid));
    // Update, delete, read a missing one.
    let r = e
        .post(&format!("/system/console/configMgr/{pid}"))
        .form(&[
            ("apply", "true"),
            ("action", "ajaxConfigManager"),
            ("propertylist", "auth.token.provider.client.id"),
            ("auth.token.provider.client.id", "xyz"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    let read = e
        .json(&format!("/system/console/configMgr/{pid}.json"))
        .await;
    assert_eq!(
        read[0]["properties"]["auth.token.provider.client.id"]["value"],
        "xyz"
    );
    assert_eq!(
        read[0]["properties"]["name"]["value"], "brandportal",
        "unlisted properties stay"
    );
    let r = e
        .post(&format!("/system/console/configMgr/{pid}"))
        .form(&[("apply", "1"), ("delete", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        e.get(&format!("/system/console/configMgr/{pid}.json"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let list = e
        .json(&format!(
            "/system/console/configMgr/(service.factoryPid={fpid}).json"
        ))
        .await;
    assert_eq!(list, json!([]));
}
