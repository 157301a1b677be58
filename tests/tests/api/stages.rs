//! Stages (SPEC §24): a `live` deployment has no test helper and takes no test key; a `test` one
//! takes no live key.

use std::sync::Arc;

use checkout_api::App;
use checkout_domain::clock::SystemClock;
use checkout_domain::stage::Stage;
use checkoutctl::merchants::MerchantOptions;
use integration_tests::{ApiResponse, Call, TestEnv, valid_body};
use serde_yaml_ng::Value;

fn template() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../template.yaml");
    serde_yaml_ng::from_str(&std::fs::read_to_string(path).expect("the template")).expect("YAML")
}

/// The resources a deployment of `stage` creates: those with no condition, and those whose
/// condition holds for it (the template's conditions are `IsTest`, `HasAlarmEmail`, `HasDomain`;
/// the last two are false with their parameters left empty).
fn deployed(template: &Value, stage: &str) -> Vec<String> {
    let is_test = &template["Conditions"]["IsTest"];
    let Value::Tagged(equals) = is_test else {
        panic!("IsTest is an !Equals: {is_test:?}")
    };
    assert_eq!(equals.tag.to_string(), "!Equals");
    let compared = equals.value.as_sequence().expect("two operands");
    assert_eq!(compared[1], "test", "IsTest holds for the test stage");
    let holds = |condition: &str| match condition {
        "IsTest" => stage == "test",
        _ => false,
    };
    template["Resources"]
        .as_mapping()
        .expect("resources")
        .iter()
        .filter(|(_, resource)| resource["Condition"].as_str().is_none_or(holds))
        .map(|(name, _)| name.as_str().expect("a name").to_owned())
        .collect()
}

#[test]
fn a_live_template_has_no_settle_helper_and_a_test_one_has() {
    let template = template();
    let live = deployed(&template, "live");
    let test = deployed(&template, "test");
    assert!(test.contains(&"SettleSessionFunction".to_owned()));
    assert!(!live.contains(&"SettleSessionFunction".to_owned()));
    assert!(!live.iter().any(|name| name.contains("SettleSession")));
    // Nothing the live stack keeps points at the helper.
    let text = serde_yaml_ng::to_string(&template["Outputs"]).expect("YAML");
    assert!(!text.contains("SettleSession"));
    // Every function learns the stage it runs in.
    assert_eq!(
        template["Globals"]["Function"]["Environment"]["Variables"]["STAGE"],
        serde_yaml_ng::from_str::<Value>("!Ref Stage").expect("YAML")
    );
}

#[tokio::test]
async fn each_stage_refuses_the_other_stages_keys() {
    let env = TestEnv::new().await;
    let test_key = env.merchant().await.api_key;
    let mut live_config = env.app.config.clone();
    live_config.stage = Stage::Live;
    let live = App::new(env.app.store.clone(), live_config, Arc::new(SystemClock));
    let live_key = checkoutctl::merchants::create_merchant(
        &live.store,
        MerchantOptions {
            name: "Live Shop".into(),
            success_url: Some("https://live.example/ok".into()),
            cancel_url: Some("https://live.example/no".into()),
            stage: Stage::Live,
            ..MerchantOptions::default()
        },
    )
    .await
    .expect("a live merchant")
    .api_key;
    assert!(live_key.starts_with("sk_live_"), "{live_key}");

    let create = |app: &App, key: &str| {
        let request = Call::event("create-session")
            .key(Some(key))
            .json(&valid_body())
            .into_request();
        let app = app.clone();
        async move { ApiResponse::from_response(create_session::handle(&app, request).await) }
    };
    let refused = create(&live, &test_key).await;
    assert_eq!(refused.status, 401, "{:?}", refused.body);
    assert_eq!(refused.body["code"], "api_key_of_other_stage");
    let refused = create(&env.app, &live_key).await;
    assert_eq!(refused.status, 401, "{:?}", refused.body);
    assert_eq!(refused.body["code"], "api_key_of_other_stage");
    assert_eq!(create(&env.app, &test_key).await.status, 201);
    // The live key is taken; the live deployment, with no live processor, makes no session.
    let live_create = create(&live, &live_key).await;
    assert_eq!(live_create.status, 501, "{:?}", live_create.body);
    assert_eq!(live_create.body["code"], "live_payments_unavailable");
}
