//! The Brand Portal cloud configuration and the agents and MAC user it creates; the legacy
//! scenario's older configuration.

use super::*;

#[tokio::test]
async fn brand_portal_cloud_configuration_creates_agents_and_mac_user() {
    let e = start(Scenario::Fresh).await;
    assert!(e.bp_agents().await.is_empty());
    let r = e
        .post("/apps/brandportal/config")
        .form(&[("name", "Brand Portal"), ("imsConfig", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "tenantURL is required");
    let tenant = e.sb.tenant_url();
    let r = e
        .post("/apps/brandportal/config")
        .form(&[
            ("item", ""),
            ("name", "Brand Portal (NA2)"),
            ("tenantURL", tenant.as_str()),
            ("pubFolder", ""),
            ("pubFolder@Delete", ""),
            ("oauthScopes", "dam-read dam-write dam-sync cc-share"),
            (
                "imsConfig",
                "com.adobe.granite.auth.oauth.accesstoken.provider.1",
            ),
            ("sling:resourceType", "dam/components/mediaportal/config"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let listing = e
        .json("/conf/global/settings/cloudconfigs/mediaportal.2.json")
        .await;
    let cfg = &listing["brand-portal-na2"]["jcr:content"];
    assert_eq!(cfg["tenantURL"], tenant.as_str());
    assert_eq!(
        cfg["sling:resourceType"],
        "dam/components/mediaportal/config"
    );
    let agents = eventually(10, "four Brand Portal agents", || async {
        let a = e.bp_agents().await;
        (a.len() == 4).then_some(a)
    })
    .await;
    for id in &agents {
        let c = e
            .json(&format!(
                "/etc/replication/agents.author/{id}/jcr:content.json"
            ))
            .await;
        let enabled = &c["enabled"];
        assert!(
            enabled == &json!(true) || enabled == &json!("true"),
            "{enabled}"
        );
        assert!(
            c["transportUri"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{tenant}/"))
        );
    }
    let mac = e.user_path("mac-wknd-replication").await;
    assert!(mac.starts_with("/home/users/mac/"));
    // Saving again does not duplicate the agents.
    e.post("/apps/brandportal/config")
        .form(&[
            ("name", "Brand Portal (NA2)"),
            ("tenantURL", tenant.as_str()),
            ("imsConfig", "x"),
        ])
        .send()
        .await
        .unwrap();
    // Once the sandbox has done what the save asked of it:
    common::eventually(10, "the save's work", || async {
        (e.json("/sandbox/control/state").await["pendingWork"] == 0).then_some(())
    })
    .await;
    assert_eq!(e.bp_agents().await.len(), 4);
}

#[tokio::test]
async fn legacy_scenario_has_the_old_configuration() {
    let e = start(Scenario::Legacy).await;
    let legacy = e.json("/etc/cloudservices/mediaportal.2.json").await;
    let (name, node) = legacy
        .as_object()
        .unwrap()
        .iter()
        .find(|(k, _)| !k.starts_with("jcr:"))
        .unwrap();
    assert!(name.starts_with("brand-portal"));
    assert_eq!(node["jcr:content"]["tenantURL"], e.sb.tenant_url().as_str());
    assert_eq!(e.bp_agents().await.len(), 4);
    e.user_path("mac-wknd-replication").await;
    assert_eq!(
        e.get("/conf/global/settings/cloudconfigs/mediaportal.1.json")
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    // Its agents deliver.
    for id in e.bp_agents().await {
        let t = e
            .text(&format!("/etc/replication/agents.author/{id}.test.html"))
            .await;
        assert!(t.contains("Replication test succeeded"));
    }
}
