//! The emulated AEM author over real HTTP: auth and filters, Sling GET/POST/DELETE, agents,
//! queues, JMX, users and keystores, configMgr, the Brand Portal cloud configuration.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test may stop at what it did not expect

mod common;

use brandlink::ims::certificate;
use brandlink::sandbox::{Sandbox, SandboxConfig, Scenario};
use common::*;
use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

#[tokio::test]
async fn authentication_readiness_and_csrf() {
    let e = start(Scenario::Fresh).await;
    // Anonymous login page with the readiness marker.
    let r = e
        .http
        .get(e.url("/libs/granite/core/content/login.html"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("QUICKSTART_HOMEPAGE"));
    // Everything else needs Basic auth.
    let r = e
        .http
        .get(e.url("/etc/replication/agents.author.1.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.headers()["www-authenticate"],
        "Basic realm=\"Sling (Development)\""
    );
    let r = e
        .http
        .get(e.url("/system/console/bundles.json"))
        .basic_auth("admin", Some("wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let b = e.json("/system/console/bundles.json").await;
    assert!(b["status"].as_str().unwrap().contains("bundles active"));
    assert!(
        b["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["state"] == "Active")
    );
    assert_eq!(b["s"].as_array().unwrap().len(), 5);
    let info = e.json("/system/console/status-productinfo.json").await;
    assert!(info[0].as_str().unwrap().contains("6.5"));

    // A browser-like POST without Referer or CSRF token is refused; the token makes it pass.
    let mozilla = "Mozilla/5.0 (X11; Linux x86_64)";
    let r = e
        .post("/content/csrf-test")
        .header("User-Agent", mozilla)
        .form(&[("a", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = e
        .post("/content/csrf-test")
        .header("User-Agent", mozilla)
        .header("Referer", e.url("/"))
        .form(&[("a", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("CSRF"));
    let token = e.json("/libs/granite/csrf/token.json").await["token"]
        .as_str()
        .unwrap()
        .to_string();
    let r = e
        .post("/content/csrf-test")
        .header("User-Agent", mozilla)
        .header("Referer", e.url("/"))
        .header("CSRF-Token", token)
        .form(&[("a", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    // A non-browser agent needs neither.
    let r = e
        .post("/content/csrf-test")
        .form(&[("a", "2")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn sling_get_rendering() {
    let mut cfg = config(Scenario::Configured);
    cfg.json_max_results = 40;
    let e = start_with(cfg).await;
    let list = e.json("/etc/replication/agents.author.1.json").await;
    assert_eq!(list["jcr:primaryType"], "cq:Page");
    assert_eq!(list["publish"]["jcr:primaryType"], "cq:Page");
    assert!(
        list["publish"].get("jcr:content").is_none(),
        "depth 1 stops at the agents"
    );
    let own = e.json("/etc/replication/agents.author.json").await;
    assert!(own.get("publish").is_none(), "depth 0 has no children");
    let deep = e.json("/etc/replication/agents.author.infinity.json").await;
    assert_eq!(
        deep["publish"]["jcr:content"]["transportUri"],
        "http://localhost:4503/bin/receive?sling:authRequestLogin=1"
    );
    let minus = e.json("/etc/replication/agents.author.-1.json").await;
    assert_eq!(deep, minus);
    // Dates in Sling's ECMA form.
    assert!(list["jcr:created"].as_str().unwrap().contains(" GMT+0000"));
    // Missing node, bad selector, HEAD, extensionless page.
    assert_eq!(
        e.get("/nothing/here.json").send().await.unwrap().status(),
        404
    );
    assert_eq!(
        e.get("/etc/replication/agents.author.abc.json")
            .send()
            .await
            .unwrap()
            .status(),
        400
    );
    assert_eq!(
        e.req(Method::HEAD, "/etc/replication/agents.author.json")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        e.req(Method::HEAD, "/nothing.json")
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let r = e
        .get("/etc/replication/agents.author/publish")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    let tidy = e.text("/etc/replication/agents.author.tidy.json").await;
    assert!(tidy.contains("\n  "));
    // Above json.maximumresults: 300 with shallower alternatives, deepest first.
    let r = e.get("/.infinity.json").send().await.unwrap();
    assert_eq!(r.status(), 300);
    let options: Vec<String> = r.json().await.unwrap();
    assert!(!options.is_empty());
    assert!(
        options.last().unwrap().ends_with("/.0.json")
            || options.last().unwrap().ends_with(".0.json")
    );
    let depths: Vec<usize> = options
        .iter()
        .map(|o| {
            o.trim_end_matches(".json")
                .rsplit('.')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    assert!(depths.windows(2).all(|w| w[0] > w[1]));
}

#[tokio::test]
async fn sling_post_and_delete() {
    let e = start(Scenario::Fresh).await;
    let r = e
        .post("/etc/replication/agents.author/bp_test")
        .form(&[
            ("jcr:primaryType", "cq:Page"),
            ("jcr:content/jcr:title", "Test agent"),
            ("jcr:content/enabled", "true"),
            ("jcr:content/enabled@TypeHint", "Boolean"),
            ("jcr:content/retryDelay", "1000"),
            ("jcr:content/retryDelay@TypeHint", "Long"),
            ("jcr:content/protocolHTTPHeaders", "CQ-Action:{action}"),
            ("jcr:content/protocolHTTPHeaders@TypeHint", "String[]"),
            (
                "jcr:content/transportUri",
                "http://localhost:4503/bin/receive",
            ),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(
        r.headers()["location"],
        "/etc/replication/agents.author/bp_test"
    );
    let body = r.text().await.unwrap();
    assert_eq!(html_status(&body), Some(201));
    assert!(body.contains("Content created /etc/replication/agents.author/bp_test"));
    assert!(body.contains("id=\"ChangeLog\""));
    let c = e
        .json("/etc/replication/agents.author/bp_test/jcr:content.json")
        .await;
    assert_eq!(c["enabled"], true);
    assert_eq!(c["retryDelay"], 1000);
    assert_eq!(c["protocolHTTPHeaders"], json!(["CQ-Action:{action}"]));
    assert_eq!(
        e.json("/etc/replication/agents.author/bp_test.json").await["jcr:primaryType"],
        "cq:Page"
    );

    // Modify with ./ names, @Delete and an empty value; JSON answer on request.
    let r = e
        .post("/etc/replication/agents.author/bp_test/jcr:content")
        .header("Accept", "application/json")
        .form(&[
            ("./protocolHTTPConnectionClose", "true"),
            ("./retryDelay@Delete", ""),
            ("./jcr:title", ""),
            ("_charset_", "utf-8"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let j: Value = r.json().await.unwrap();
    assert_eq!(j["status.code"], 200);
    assert_eq!(j["isCreate"], false);
    assert!(
        j["changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["type"] == "modified")
    );
    let c = e
        .json("/etc/replication/agents.author/bp_test/jcr:content.json")
        .await;
    assert_eq!(c["protocolHTTPConnectionClose"], "true");
    assert!(c.get("retryDelay").is_none());
    assert!(c.get("jcr:title").is_none());
    // Parameters in the query string work too.
    let r = e
        .post("/content/q?x=1&y@TypeHint=Long&y=5")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(e.json("/content/q.json").await["y"], 5);
    // Type errors are 500 with the Sling error page.
    let r = e
        .post("/content/q")
        .form(&[("n", "abc"), ("n@TypeHint", "Long")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 500);
    assert_eq!(html_status(&r.text().await.unwrap()), Some(500));

    // :operation=delete, then again on the missing path (403 as on AEM 6.x).
    let r = e
        .post("/content/q")
        .form(&[(":operation", "delete")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = e
        .post("/content/q")
        .form(&[(":operation", "delete")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // HTTP DELETE: 204, then 404.
    assert_eq!(
        e.req(Method::DELETE, "/etc/replication/agents.author/bp_test")
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(
        e.req(Method::DELETE, "/etc/replication/agents.author/bp_test")
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        e.get("/etc/replication/agents.author/bp_test.json")
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

#[tokio::test]
async fn agent_pages_queue_and_jmx() {
    let e = start(Scenario::Configured).await;
    let agents = e.bp_agents().await;
    assert_eq!(agents.len(), 4);
    assert!(agents.iter().all(|a| a.starts_with("mp_replication")));
    let id = agents[0].clone();
    let page = e
        .text(&format!("/etc/replication/agents.author/{id}.html"))
        .await;
    assert!(page.contains("cq-agent-header-on"));
    assert!(page.contains("Agent is <strong>enabled.</strong>"));
    assert!(page.contains("Queue is <strong>idle</strong>"));
    assert!(page.contains(&format!("{id}.log.html#end")));

    let test = e
        .text(&format!("/etc/replication/agents.author/{id}.test.html"))
        .await;
    assert!(test.contains("Replication test succeeded"), "{test}");
    assert!(test.contains("ReplicationAction TEST ok."));
    let log = e
        .text(&format!("/etc/replication/agents.author/{id}.log.html"))
        .await;
    assert!(log.contains("Replication (TEST) of /content/dam successful."));
    let line = log
        .lines()
        .find(|l| l.contains("Replication (TEST)"))
        .unwrap();
    assert!(
        chrono::NaiveDateTime::parse_from_str(&line[..19], "%d.%m.%Y %H:%M:%S").is_ok(),
        "{line}"
    );

    // A standard agent to a publish that does not exist fails without the success marker.
    let t = e
        .text("/etc/replication/agents.author/publish.test.html")
        .await;
    assert!(!t.contains("Replication test succeeded"));
    assert!(t.contains("Transfer failed"));

    // Queue JSON shape.
    let q = e.queue(&id).await;
    let st = &q["metaData"]["queueStatus"];
    assert_eq!(q["metaData"]["root"], "queue");
    assert_eq!(st["agentId"], id.as_str());
    assert_eq!(st["isBlocked"], false);
    assert_eq!(st["processingSince"], 0);
    assert_eq!(
        st["nextRetryPeriod"].as_i64().unwrap(),
        -st["time"].as_i64().unwrap(),
        "not blocked: -time"
    );
    assert_eq!(q["queue"], json!([]));
    assert_eq!(q["metaData"]["fields"].as_array().unwrap().len(), 7);

    // Pause through the queue servlet; more than 50 entries are capped in the JSON, JMX has the depth.
    let qpath = format!("/etc/replication/agents.author/{id}/jcr:content.queue.json");
    let r = e
        .post(&qpath)
        .form(&[("cmd", "pause"), ("name", &id)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = e
        .post("/sandbox/publish")
        .form(&[("count", "240")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let q = e.queue(&id).await;
    assert_eq!(q["metaData"]["queueStatus"]["isPaused"], true);
    assert_eq!(q["queue"].as_array().unwrap().len(), 50);
    let item = &q["queue"][0];
    for k in [
        "id",
        "path",
        "time",
        "userid",
        "type",
        "lastProcessed",
        "numProcessed",
    ] {
        assert!(item.get(k).is_some(), "queue item has {k}");
    }
    assert_eq!(item["type"], "Activate");
    let mbean =
        format!("/system/console/jmx/com.adobe.granite.replication:id=%22{id}%22,type=agent");
    let jmx = e.text(&mbean).await;
    assert!(jmx.contains("<td class=\"name\">QueueNumEntries</td><td class=\"type\">int</td><td class=\"access\">r</td><td class=\"value\">60</td>"), "{jmx}");
    assert!(jmx.contains("<td class=\"value\">true</td>"));
    let page = e
        .text(&format!("/etc/replication/agents.author/{id}.html"))
        .await;
    assert!(page.contains("active - 60 pending"));
    // Resume through JMX; the queue drains.
    let r = e
        .post(&format!("{mbean}/a/QueuePaused"))
        .form(&[("value", "false")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    eventually(10, "the queue to drain", || async {
        let q = e.queue(&id).await;
        (q["queue"].as_array().unwrap().is_empty()).then_some(())
    })
    .await;
    // Clear: through the servlet and through JMX.
    e.post(&qpath)
        .form(&[("cmd", "pause"), ("name", &id)])
        .send()
        .await
        .unwrap();
    e.post("/sandbox/publish")
        .form(&[("count", "8")])
        .send()
        .await
        .unwrap();
    assert_eq!(e.queue(&id).await["queue"].as_array().unwrap().len(), 2);
    assert_eq!(
        e.post(&qpath)
            .form(&[("cmd", "clear"), ("name", &id)])
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(e.queue(&id).await["queue"], json!([]));
    e.post("/sandbox/publish")
        .form(&[("count", "4")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        e.post(&format!("{mbean}/op/queueClear"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(e.queue(&id).await["queue"], json!([]));
    assert_eq!(
        e.post(&format!("{mbean}/op/queueForceRetry"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        e.post(&qpath)
            .form(&[("cmd", "explode")])
            .send()
            .await
            .unwrap()
            .status(),
        400
    );
    assert_eq!(
        e.post(&qpath)
            .form(&[("cmd", "pause"), ("name", "other")])
            .send()
            .await
            .unwrap()
            .status(),
        400
    );
    let missing = "/system/console/jmx/com.adobe.granite.replication:id=%22nope%22,type=agent";
    assert_eq!(e.get(missing).send().await.unwrap().status(), 404);
}

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

#[tokio::test]
async fn refuses_non_loopback_without_permission() {
    let err = Sandbox::start(
        SandboxConfig::default(),
        "0.0.0.0:0".parse().unwrap(),
        false,
    )
    .await
    .err()
    .expect("refused");
    assert!(err.to_string().contains("--allow-remote"));
}
