//! Sling over HTTP: GET rendering (selectors, depth, limits) and POST/DELETE.

use super::*;

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
