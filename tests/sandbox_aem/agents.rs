//! The replication agents' pages, their queue servlet and JMX.

use super::*;

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
