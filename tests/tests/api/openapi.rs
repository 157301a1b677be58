//! `openapi.yaml` stays honest: it documents every deployed route, and its request examples get the
//! documented answer, with every required field, from the real handlers. (The fuzzing run of
//! `scripts/fuzz.sh` checks responses against its schemas in depth.)

use integration_tests::{Call, TestEnv};
use serde_yaml_ng::Value;

fn document(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(name);
    let text = std::fs::read_to_string(&path).expect("the file exists");
    serde_yaml_ng::from_str(&text).expect("valid YAML")
}

fn resolve<'a>(spec: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(reference) => reference
            .trim_start_matches("#/")
            .split('/')
            .fold(spec, |node, part| &node[part]),
        None => value,
    }
}

#[test]
fn every_route_of_the_template_is_documented_and_in_the_make_dev_router() {
    let spec = document("openapi.yaml");
    let (dashboard, routes) = api_and_dashboard_routes();
    assert_eq!(routes.len(), 32, "{routes:?}");
    for route in &routes {
        assert!(
            !spec["paths"][route.path.as_str()][route.method.to_lowercase().as_str()].is_null(),
            "{route:?} is deployed but not in openapi.yaml"
        );
    }
    for (path, operations) in spec["paths"].as_mapping().expect("paths") {
        for method in operations.as_mapping().expect("operations").keys() {
            let (path, method) = (
                path.as_str().unwrap_or_default(),
                method.as_str().unwrap_or_default(),
            );
            assert!(
                routes
                    .iter()
                    .any(|r| r.path == path && r.method.eq_ignore_ascii_case(method)),
                "{method} {path} is documented but not deployed"
            );
        }
    }
    let (routed_dashboard, routed): (Vec<Route>, Vec<Route>) = dev_router()
        .into_iter()
        .partition(|route| route.path.starts_with("/dashboard"));
    let mut deployed: Vec<_> = routes.iter().map(Route::triple).collect();
    let mut routed: Vec<_> = routed.iter().map(Route::triple).collect();
    deployed.sort();
    routed.sort();
    assert_eq!(
        routed, deployed,
        "the make dev router of Cargo.toml must send each route to the function template.yaml deploys for it"
    );
    // The dashboard is deployed as one catch-all; the make dev router lists its pages.
    let mut dashboard: Vec<_> = dashboard.iter().map(Route::triple).collect();
    dashboard.sort();
    assert_eq!(
        dashboard,
        [
            ("GET", "/dashboard", "dashboard"),
            ("GET", "/dashboard/{proxy+}", "dashboard"),
            ("POST", "/dashboard/{proxy+}", "dashboard"),
        ]
        .map(|(m, p, f)| (m.to_owned(), p.to_owned(), f.to_owned()))
    );
    for page in [
        "/dashboard",
        "/dashboard/",
        "/dashboard/sessions/{id}",
        "/dashboard/logout",
    ] {
        assert!(
            routed_dashboard
                .iter()
                .any(|r| r.path == page && r.function == "dashboard"),
            "{page} is in the make dev router"
        );
    }
    for route in &routed_dashboard {
        let preview = route.path == "/dashboard/settings/preview";
        let to = if preview {
            "checkout-page"
        } else {
            "dashboard"
        };
        assert_eq!(route.function, to, "{route:?}");
    }
}

/// The deployed routes of the dashboard (HTML pages for people, described in the README and SPEC
/// §19 instead of openapi.yaml), and the others, apart from the dashboard's settings preview,
/// which the checkout page serves and the make dev router sends there too.
fn api_and_dashboard_routes() -> (Vec<Route>, Vec<Route>) {
    let (dashboard, rest): (Vec<Route>, Vec<Route>) = template_routes()
        .into_iter()
        .partition(|route| route.function == "dashboard");
    let preview = (
        "GET".to_owned(),
        "/dashboard/settings/preview".to_owned(),
        "checkout-page".to_owned(),
    );
    assert!(
        rest.iter().any(|route| route.triple() == preview),
        "the checkout page serves the dashboard's preview"
    );
    (
        dashboard,
        rest.into_iter()
            .filter(|route| route.triple() != preview)
            .collect(),
    )
}

#[test]
fn every_documented_answer_declares_its_request_id_and_every_redirect_its_location() {
    let spec = document("openapi.yaml");
    for (path, operations) in spec["paths"].as_mapping().expect("paths") {
        for (method, operation) in operations.as_mapping().expect("operations") {
            for (status, response) in operation["responses"].as_mapping().expect("responses") {
                let response = resolve(&spec, response);
                let headers = &response["headers"];
                let at = format!("{method:?} {path:?} {status:?}");
                assert!(
                    !headers["Request-Id"].is_null(),
                    "{at} declares no Request-Id"
                );
                assert_eq!(
                    resolve(&spec, &headers["Request-Id"])["required"],
                    Value::Bool(true),
                    "{at}"
                );
                if status.as_str() == Some("303") {
                    assert!(!headers["Location"].is_null(), "{at} declares no Location");
                }
            }
        }
    }
}

/// One route: a method and a path (with `{id}`) served by one function binary.
#[derive(Debug)]
struct Route {
    method: String,
    path: String,
    function: String,
}

impl Route {
    fn triple(&self) -> (String, String, String) {
        (
            self.method.to_uppercase(),
            self.path.clone(),
            self.function.clone(),
        )
    }
}

/// The deployed routes: every `HttpApi` event of template.yaml and its function's binary.
fn template_routes() -> Vec<Route> {
    let template = document("template.yaml");
    let mut routes = Vec::new();
    for resource in template["Resources"]
        .as_mapping()
        .expect("resources")
        .values()
    {
        let Some(events) = resource["Properties"]["Events"].as_mapping() else {
            continue;
        };
        let function = resource["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .expect("a function with routes names its binary");
        for event in events.values().filter(|e| e["Type"] == "HttpApi") {
            routes.push(Route {
                method: event["Properties"]["Method"]
                    .as_str()
                    .expect("a method")
                    .to_uppercase(),
                path: event["Properties"]["Path"]
                    .as_str()
                    .expect("a path")
                    .to_owned(),
                function: function.to_owned(),
            });
        }
    }
    routes
}

/// The routes `cargo lambda watch` serves in `make dev`: the workspace metadata of Cargo.toml, read
/// through `cargo metadata` as cargo-lambda reads it.
fn dev_router() -> Vec<Route> {
    let output = std::process::Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata");
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let router = metadata["metadata"]["lambda"]["watch"]["router"]
        .as_object()
        .expect("the router table");
    let mut routes = Vec::new();
    for (path, entries) in router {
        for entry in entries.as_array().expect("a list of routes") {
            routes.push(Route {
                method: entry["method"].as_str().expect("a method").to_owned(),
                path: path.clone(),
                function: entry["function"].as_str().expect("a function").to_owned(),
            });
        }
    }
    routes
}

/// Status, headers (lower-cased names) and body of `method path` sent to `base` over HTTP/1.1.
async fn send(base: &str, method: &str, path: &str) -> (u16, Vec<String>, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connected");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nhost: {address}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.expect("sent");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.expect("an answer");
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_default();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let headers = head
        .lines()
        .skip(1)
        .filter_map(|line| line.split_once(':'))
        .map(|(name, _)| name.trim().to_ascii_lowercase())
        .collect();
    (status, headers, body.to_owned())
}

#[tokio::test]
async fn the_local_server_that_fuzzing_uses_routes_every_deployed_route_to_a_handler() {
    let env = TestEnv::new().await;
    let base = integration_tests::local_server::serve(env.app.clone()).await;
    let not_routed = r#"{"message":"Not Found"}"#;
    let routes = template_routes();
    assert_eq!(routes.len(), 36, "{routes:?}");
    for Route {
        method,
        path,
        function,
    } in &routes
    {
        let path = path
            .replace("{id}", "cs_000000000000000000000000")
            .replace("{proxy+}", "sessions");
        let (status, headers, body) = send(&base, method, &path).await;
        assert!(
            headers.iter().any(|h| h == "request-id"),
            "{method} {path} answered without Request-Id: {headers:?}"
        );
        assert_ne!(
            body, not_routed,
            "{method} {path} reached no handler ({status})"
        );
        // The dashboard answers a visitor without a session with its sign-in form, or sends
        // them there; a form sent without one is refused.
        let refused = match (function.as_str(), method.as_str(), path.as_str()) {
            ("dashboard", "GET", "/dashboard") => status == 200 && body.contains("apiKey"),
            ("dashboard", "GET", _) => status == 303,
            ("dashboard", _, _) => status == 401,
            _ => matches!(status, 401 | 403 | 404 | 415),
        };
        assert!(
            refused,
            "{method} {path}: the handler refused a bare request ({status} {body})"
        );
    }
    let (status, _, body) = send(&base, "DELETE", "/v1/checkout/sessions").await;
    assert_eq!(
        (status, body.as_str()),
        (404, not_routed),
        "an undeployed route"
    );
}

#[tokio::test]
async fn the_create_examples_get_the_documented_answer() {
    let spec = document("openapi.yaml");
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let operation = &spec["paths"]["/v1/checkout/sessions"]["post"];
    let examples = operation["requestBody"]["content"]["application/json"]["examples"]
        .as_mapping()
        .expect("examples");
    let created = resolve(
        &spec,
        &operation["responses"]["201"]["content"]["application/json"]["schema"],
    );
    let required: Vec<&str> = created["required"]
        .as_sequence()
        .expect("required fields")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for (name, example) in examples {
        let body: serde_json::Value =
            serde_yaml_ng::from_value(example["value"].clone()).expect("JSON-like");
        let response = env
            .create_call(
                Call::event("create-session")
                    .key(Some(&key))
                    .header("idempotency-key", None)
                    .json(&body),
            )
            .await;
        assert_eq!(
            response.status, 201,
            "example {name:?}: {:?}",
            response.body
        );
        for field in &required {
            assert!(
                response.body.get(field).is_some(),
                "example {name:?} lacks {field}"
            );
        }
    }
    let problem = resolve(&spec, &spec["components"]["schemas"]["Problem"]);
    let refused = env
        .create(&key, &serde_json::json!({"amount": "1e3"}))
        .await;
    for field in problem["required"]
        .as_sequence()
        .expect("required")
        .iter()
        .filter_map(Value::as_str)
    {
        assert!(refused.body.get(field).is_some(), "problems lack {field}");
    }
}
