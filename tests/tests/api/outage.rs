//! DynamoDB going away mid-traffic: requests during the outage get a 503 with Retry-After, and
//! every session acknowledged before it is there after.

use integration_tests::{PersistentDynamo, TestEnv, valid_body};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_answers_503_and_loses_nothing_acknowledged() {
    let mut dynamo = PersistentDynamo::start();
    let env = TestEnv::on(&dynamo.endpoint()).await;
    let key = env.merchant().await.api_key;
    let mut acknowledged = Vec::new();
    for _ in 0..10 {
        let created = env.create(&key, &valid_body()).await;
        assert_eq!(created.status, 201);
        acknowledged.push(created.body["id"].as_str().expect("an id").to_owned());
    }

    dynamo.stop();
    let during = env.create(&key, &valid_body()).await;
    assert_eq!(during.status, 503, "{:?}", during.body);
    assert_eq!(during.header("retry-after"), Some("1"));
    assert_eq!(during.body["code"], "service_unavailable");
    assert_eq!(env.get(&key, &acknowledged[0]).await.status, 503);

    dynamo.resume();
    for id in &acknowledged {
        let read = env.get(&key, id).await;
        assert_eq!(
            (read.status, read.body["status"].as_str()),
            (200, Some("pending")),
            "{id}"
        );
    }
    assert_eq!(
        env.create(&key, &valid_body()).await.status,
        201,
        "service resumes"
    );
}
