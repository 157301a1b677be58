//! DynamoDB going away mid-traffic: requests during the outage get a 503 with Retry-After, and
//! every session acknowledged before it is there after.

use std::time::{Duration, Instant};

use integration_tests::{ApiResponse, Call, PersistentDynamo, TestEnv, valid_body};

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dynamodb_slower_than_the_deadline_is_a_503_before_it_and_a_retry_creates_once() {
    let dynamo = PersistentDynamo::start();
    let env = TestEnv::on(&dynamo.endpoint()).await;
    let key = env.merchant().await.api_key;
    let create = || {
        Call::event("create-session")
            .key(Some(&key))
            .header("idempotency-key", Some("slow-1"))
            .json(&valid_body())
    };
    // Lambda's timeout is 3 s away; DynamoDB takes longer than that to answer anything.
    let deadline = Duration::from_secs(3);
    dynamo.freeze();
    let started = Instant::now();
    let request = create().deadline_in(deadline).into_request();
    let answered = ApiResponse::from_response(create_session::handle(&env.app, request).await);
    let took = started.elapsed();
    dynamo.thaw();
    assert_eq!(answered.status, 503, "{:?}", answered.body);
    assert_eq!(answered.header("retry-after"), Some("1"));
    assert_eq!(answered.body["code"], "service_unavailable");
    assert!(answered.header("request-id").is_some());
    assert!(took < deadline, "answered after the deadline: {took:?}");

    // The client retries as told, with the same key: one session, however far the first got.
    let retried = ApiResponse::from_response(
        create_session::handle(&env.app, create().deadline_in(deadline).into_request()).await,
    );
    assert_eq!(retried.status, 201, "{:?}", retried.body);
    let again =
        ApiResponse::from_response(create_session::handle(&env.app, create().into_request()).await);
    assert_eq!(again.body["id"], retried.body["id"]);
    assert_eq!(
        env.list(&key, &[]).await.body["data"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}

#[tokio::test]
async fn a_deadline_already_past_when_the_request_starts_is_no_deadline() {
    use lambda_http::RequestExt;
    use lambda_http::lambda_runtime::Context;

    // `cargo lambda watch` can hand a request a deadline from before it started (the first
    // request of a function waits for its build); Lambda itself never does.
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let mut stale = Context::default();
    stale.deadline = u64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after 1970")
            .as_millis()
            - 5_000,
    )
    .expect("fits");
    let request = Call::event("create-session")
        .key(Some(&key))
        .json(&valid_body())
        .into_request()
        .with_lambda_context(stale);
    let answered = ApiResponse::from_response(create_session::handle(&env.app, request).await);
    assert_eq!(answered.status, 201, "{:?}", answered.body);
}
