//! A payer in a real browser: headless Chromium, driven over WebDriver, against the checkout-page
//! function served over HTTP. Saves `target/checkout-page.png`.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use checkoutctl::merchants::MerchantOptions;
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use integration_tests::{TestEnv, local_server};
use serde_json::json;

/// ChromeDriver for the life of the test.
/// Browsers running at once, however many tests run in parallel (`make test` runs eight, for
/// the API tests, which mostly wait on DynamoDB Local): two, as on two cores before.
static BROWSERS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// A chromedriver, and the turn it holds among the browsers.
struct Driver {
    process: Child,
    _turn: tokio::sync::SemaphorePermit<'static>,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

async fn start_chromedriver() -> (Driver, String) {
    let turn = BROWSERS
        .acquire()
        .await
        .expect("the semaphore is never closed");
    // scripts/tools.sh installs Debian's chromium and chromium-driver when missing.
    let installed = Command::new("bash")
        .arg("-c")
        .arg("source scripts/tools.sh && ensure_chromium")
        .current_dir(workspace_root())
        .status()
        .expect("bash runs scripts/tools.sh");
    assert!(installed.success(), "could not install chromium");
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let driver = Driver {
        process: child,
        _turn: turn,
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "chromedriver did not listen"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    (driver, format!("http://127.0.0.1:{port}"))
}

/// A headless Chromium session, with JavaScript or without.
async fn browser(webdriver: &str, javascript: bool) -> Client {
    let profile = std::env::temp_dir().join(format!(
        "checkout-chromium-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=430,1100",
                format!("--user-data-dir={}", profile.display()),
            ],
            "prefs": {
                "profile.managed_default_content_settings.javascript": if javascript { 1 } else { 2 }
            }
        }),
    );
    ClientBuilder::new(HttpConnector::new())
        .capabilities(capabilities)
        .connect(webdriver)
        .await
        .expect("a WebDriver session")
}

async fn fill(client: &Client, id: &str, text: &str) {
    client
        .find(Locator::Id(id))
        .await
        .expect("the input exists")
        .send_keys(text)
        .await
        .expect("typed");
}

/// Sends the page's first form with its pay button and waits for the page it leads to, so that
/// nothing read next comes from the page before.
async fn click_pay(client: &Client) {
    let button = client
        .find(Locator::Css("form button[type=submit]"))
        .await
        .expect("the pay button");
    navigating(client, async || button.click().await.map(|_| ())).await;
}

/// The element `css` selects, once the page shows it (within 15 s).
async fn appearing(client: &Client, css: &str) -> fantoccini::elements::Element {
    client
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} is shown: {e}"))
}

/// Types card `number` with a valid expiry and code into the card form and sends it.
async fn submit_card(client: &Client, number: &str) {
    for (id, text) in [
        ("cardNumber", number),
        ("cardExpiry", "12/34"),
        ("cardCvc", "123"),
    ] {
        fill(client, id, text).await;
    }
    click_pay(client).await;
}

/// A shop served over real HTTP on a free port: the app it is served by (checkout URLs under
/// its address), that address, and the key of a merchant whose success and cancel URLs land on
/// pages of that address no route serves (a browser still shows where it landed).
async fn shop(env: &TestEnv) -> (checkout_api::App, String, String) {
    let mut app = env.app.clone();
    let base = local_server::serve(app.clone()).await;
    app.config.public_base_url = base.clone();
    let merchant = env
        .merchant_with(MerchantOptions {
            name: "Acme Coffee Roasters".into(),
            display_name: Some("Acme Coffee".into()),
            brand_color: Some("#6b3e26".into()),
            success_url: Some(format!(
                "{base}/landing/success?session={{CHECKOUT_SESSION_ID}}"
            )),
            cancel_url: Some(format!("{base}/landing/cancel")),
            ..MerchantOptions::default()
        })
        .await;
    (app, base, merchant.api_key)
}

/// The session `body` creates with `key` through the create handler (201 asserted).
async fn created(
    app: &checkout_api::App,
    key: &str,
    body: &serde_json::Value,
) -> serde_json::Value {
    let request = integration_tests::Call::event("create-session")
        .key(Some(key))
        .header("idempotency-key", None)
        .json(body)
        .into_request();
    let response =
        integration_tests::ApiResponse::from_response(create_session::handle(app, request).await);
    assert_eq!(response.status, 201, "{:?}", response.body);
    response.body
}

/// The id of the session `body` creates with `key`.
async fn created_id(app: &checkout_api::App, key: &str, body: &serde_json::Value) -> String {
    created(app, key, body).await["id"]
        .as_str()
        .expect("an id")
        .to_owned()
}

/// Opens session `id`'s page on the shop at `base`.
async fn open_page(client: &Client, base: &str, id: &str) {
    client
        .goto(&format!("{base}/pay/{id}"))
        .await
        .expect("the page loads");
}

async fn landed(client: &Client) -> String {
    client
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Id("landed"))
        .await
        .expect("the merchant's page");
    client.current_url().await.expect("a URL").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payer_pays_is_declined_cancels_and_meets_an_expired_link_in_a_real_browser() {
    let env = TestEnv::new().await;
    let (app, base, key) = shop(&env).await;
    let create = |body: serde_json::Value| {
        let (app, key) = (app.clone(), key.clone());
        async move {
            created(&app, &key, &body).await["checkoutUrl"]
                .as_str()
                .expect("a checkout URL")
                .to_owned()
        }
    };

    let (_driver, webdriver) = start_chromedriver().await;
    let client = browser(&webdriver, true).await;

    // Pay with the success card.
    let url = create(json!({
        "description": "Ethiopia Yirgacheffe, 2 bags",
        "lineItems": [
            {"name": "Yirgacheffe 250 g", "unitAmount": "14.50", "quantity": 2},
            {"name": "Shipping", "unitAmount": "4.90", "quantity": 1}
        ]
    }))
    .await;
    assert!(url.starts_with(&base), "{url}");
    client.goto(&url).await.expect("the page loads");
    let amount = client
        .find(Locator::Css("[data-testid=amount]"))
        .await
        .expect("an amount");
    assert_eq!(amount.text().await.expect("text"), "$33.90");
    let source = client.source().await.expect("the HTML");
    assert!(source.contains("Acme Coffee") && source.contains("Yirgacheffe 250 g"));
    fill(&client, "cardNumber", "4242 4242 4242 4242").await;
    fill(&client, "cardExpiry", "12/34").await;
    fill(&client, "cardCvc", "123").await;
    fill(&client, "cardName", "Jane Payer").await;
    screenshots(&client, "checkout-page", "form button[type=submit]").await;
    click_pay(&client).await;
    let success = landed(&client).await;
    assert!(
        success.contains("/landing/success") && success.contains("status=completed"),
        "{success}"
    );
    let session_id = url.rsplit('/').next().expect("an id");
    assert!(
        success.contains(&format!("sessionId={session_id}")),
        "{success}"
    );

    // A decline shows its reason and keeps the form.
    let url = create(json!({"amount": "9.00"})).await;
    client.goto(&url).await.expect("the page loads");
    fill(&client, "cardNumber", "4000000000000002").await;
    fill(&client, "cardExpiry", "12/34").await;
    fill(&client, "cardCvc", "123").await;
    client
        .find(Locator::Css("form button[type=submit]"))
        .await
        .expect("pay")
        .click()
        .await
        .expect("clicked");
    let error = appearing(&client, "[data-testid=error]").await;
    assert!(
        error
            .text()
            .await
            .expect("text")
            .contains("Your card was declined.")
    );
    client
        .find(Locator::Id("cardNumber"))
        .await
        .expect("the form is still there");
    screenshots(&client, "checkout-page-declined", "[data-testid=error]").await;

    // Cancelling lands on the cancel URL.
    client
        .find(Locator::Css("button.link"))
        .await
        .expect("cancel")
        .click()
        .await
        .expect("clicked");
    let cancelled = landed(&client).await;
    assert!(
        cancelled.contains("/landing/cancel") && cancelled.contains("status=cancelled"),
        "{cancelled}"
    );
    client.goto(&url).await.expect("the page loads");
    client
        .find(Locator::Css("[data-testid=ended-on]"))
        .await
        .expect("when it was cancelled");
    screenshots(&client, "checkout-page-cancelled", "[data-testid=state]").await;

    // An expired link shows that it expired, with no form.
    let url = create(json!({"amount": "9.00", "expiresIn": "PT1M"})).await;
    env.clock.advance(time::Duration::minutes(2));
    client.goto(&url).await.expect("the page loads");
    let state = client
        .find(Locator::Css("[data-testid=state]"))
        .await
        .expect("a state");
    assert!(state.text().await.expect("text").contains("expired"));
    assert!(client.find(Locator::Id("cardNumber")).await.is_err());

    // A recoverable one offers its recovery link, which opens a new payment for the same order.
    let url = create(json!({
        "amount": "12.00",
        "expiresIn": "PT1M",
        "afterExpiration": {"recovery": {"enabled": true}}
    }))
    .await;
    env.clock.advance(time::Duration::minutes(2));
    client.goto(&url).await.expect("the page loads");
    screenshots(&client, "checkout-page-expired", "[data-testid=recover]").await;
    client
        .find(Locator::Css("[data-testid=recover]"))
        .await
        .expect("the recovery link")
        .click()
        .await
        .expect("clicked");
    client
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Id("cardNumber"))
        .await
        .expect("a new payment form");
    let recovered = client.current_url().await.expect("a URL").to_string();
    assert!(
        recovered.contains("/pay/cs_")
            && !recovered.ends_with(url.rsplit('/').next().unwrap_or("")),
        "{recovered}"
    );
    let amount = client
        .find(Locator::Css("[data-testid=amount]"))
        .await
        .expect("an amount");
    assert_eq!(amount.text().await.expect("text"), "$12.00");

    client.close().await.expect("the browser closes");
}

/// The WCAG 2.1 A/AA and best-practice violations axe-core (npm, pinned in scripts/tools.sh)
/// finds on the page the browser shows, each as `rule: elements`.
async fn accessibility_violations(client: &Client) -> Vec<String> {
    let script = std::env::var("AXE_CORE_JS").map_or_else(
        |_| workspace_root().join(".local/npm-axe/node_modules/axe-core/axe.min.js"),
        PathBuf::from,
    );
    let source = std::fs::read_to_string(&script).unwrap_or_else(|e| {
        panic!(
            "axe-core at {} (make test installs it): {e}",
            script.display()
        )
    });
    client
        .execute(&source, vec![])
        .await
        .expect("axe-core is injected");
    let found = client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, {runOnly: {type: 'tag', values:
                 ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})
               .then(r => done(r.violations.map(v =>
                   v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))))
               .catch(e => done(['axe failed: ' + e]));",
            vec![],
        )
        .await
        .expect("axe-core ran");
    serde_json::from_value(found).expect("a list of violations")
}

/// Where screenshots go: the build's target folder (`CARGO_TARGET_DIR` when it is set
/// elsewhere), made if it is not there yet.
fn screenshot_dir() -> PathBuf {
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| workspace_root().join("target"), PathBuf::from);
    std::fs::create_dir_all(&dir).expect("the screenshot folder");
    dir
}

/// Saves what the browser shows at a desktop, a laptop and a phone width, scrolled to the element
/// `focus` (a CSS selector), as `<name>-desktop.png`, `<name>-laptop.png` and `<name>-phone.png` in
/// [`screenshot_dir`], and goes back to the phone width; every state saved is also audited with
/// axe-core and must show no violation.
async fn screenshots(client: &Client, name: &str, focus: &str) {
    assert_eq!(
        accessibility_violations(client).await,
        Vec::<String>::new(),
        "axe-core on {name}"
    );
    for (width, height, suffix) in [
        (1280, 900, "desktop"),
        (1024, 768, "laptop"),
        (390, 844, "phone"),
    ] {
        client
            .set_window_size(width, height)
            .await
            .expect("the window resizes");
        client
            .execute(
                "document.querySelector(arguments[0]).scrollIntoView({block: 'center'})",
                vec![json!(focus)],
            )
            .await
            .expect("scrolled");
        let screenshot = client.screenshot().await.expect("a screenshot");
        let path = screenshot_dir().join(format!("{name}-{suffix}.png"));
        std::fs::write(&path, screenshot).expect("the screenshot is saved");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payer_pays_in_crypto_waits_for_confirmations_and_passes_three_d_secure() {
    let env = TestEnv::new().await;
    let (app, base, key) = shop(&env).await;
    let create = |body: serde_json::Value| {
        let (app, key) = (app.clone(), key.clone());
        async move { created_id(&app, &key, &body).await }
    };
    let (_driver, webdriver) = start_chromedriver().await;
    let client = browser(&webdriver, true).await;

    // The crypto form quotes each asset; paying sends the payer to the page that waits.
    let id = create(json!({
        "amount": "45.00",
        "description": "Espresso grinder",
        "paymentMethods": ["card", "crypto"]
    }))
    .await;
    open_page(&client, &base, &id).await;
    let eth = client
        .find(Locator::Css("[data-testid=quote-ETH]"))
        .await
        .expect("an ETH quote");
    assert_eq!(eth.text().await.expect("text"), "0.01500000 ETH");
    screenshots(
        &client,
        "checkout-page-crypto-quote",
        "[data-testid=pay-crypto]",
    )
    .await;
    client
        .find(Locator::Id("asset-ETH"))
        .await
        .expect("the ETH choice")
        .click()
        .await
        .expect("chosen");
    client
        .find(Locator::Css("[data-testid=pay-crypto]"))
        .await
        .expect("the crypto button")
        .click()
        .await
        .expect("clicked");
    let address = appearing(&client, "[data-testid=deposit-address]")
        .await
        .text()
        .await
        .expect("text");
    assert!(
        address.starts_with("0x") && address.len() == 42,
        "{address}"
    );
    let confirmations = client
        .find(Locator::Css("[data-testid=confirmations]"))
        .await
        .expect("the confirmations");
    assert_eq!(confirmations.text().await.expect("text"), "0 of 12");
    screenshots(&client, "checkout-page-processing", "[data-testid=deposit]").await;
    let settled = env.settle(&key, &id, &json!({})).await;
    assert_eq!(settled.status, 200);
    client.refresh().await.expect("reloaded");
    let state = client
        .find(Locator::Css("[data-testid=state]"))
        .await
        .expect("a state");
    assert_eq!(
        state.attr("data-state").await.expect("attr").as_deref(),
        Some("done")
    );
    let paid = client
        .find(Locator::Css("[data-testid=paid]"))
        .await
        .expect("what was paid")
        .text()
        .await
        .expect("text");
    assert!(paid.starts_with("Paid $45.00 in ETH on "), "{paid}");
    screenshots(&client, "checkout-page-paid", "[data-testid=state]").await;

    // The 3-D Secure card asks for the challenge; approving pays.
    let id = create(json!({"amount": "18.00"})).await;
    open_page(&client, &base, &id).await;
    fill(&client, "cardNumber", "4000 0027 6000 3184").await;
    fill(&client, "cardExpiry", "12/34").await;
    fill(&client, "cardCvc", "123").await;
    click_pay(&client).await;
    let approve = appearing(&client, "[data-testid=approve]").await;
    screenshots(&client, "checkout-page-3ds", "[data-testid=approve]").await;
    approve.click().await.expect("approved");
    let success = landed(&client).await;
    assert!(success.contains("status=completed"), "{success}");
    let paid = env.get(&key, &id).await.body;
    assert_eq!(paid["payment"]["threeDSecure"], true);

    client.close().await.expect("the browser closes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payer_gives_what_the_shop_collects_fixes_a_refused_field_and_pays() {
    let env = TestEnv::new().await;
    let (app, base, key) = shop(&env).await;
    let terms = env
        .call(
            "update-account",
            &key,
            None,
            Some(&json!({"termsUrl": format!("{base}/landing/terms")})),
        )
        .await;
    assert_eq!(terms.status, 200);
    let id = created_id(
        &app,
        &key,
        &json!({
            "amount": "24.00",
            "lineItems": [{"name": "Tasting box", "unitAmount": "24.00", "quantity": 1}],
            "collect": {
                "phone": "required",
                "billingAddress": "optional",
                "customFields": [
                    {"key": "seats", "label": "Seats at the tasting", "type": "numeric"},
                    {"key": "grind", "label": "Grind", "type": "dropdown",
                     "options": [{"value": "whole", "label": "Whole beans"}, "Espresso"]}
                ],
                "termsOfService": "required"
            }
        }),
    )
    .await;
    let (_driver, webdriver) = start_chromedriver().await;
    let client = browser(&webdriver, true).await;
    open_page(&client, &base, &id).await;
    fill(&client, "cardNumber", "4242 4242 4242 4242").await;
    fill(&client, "cardExpiry", "12/34").await;
    fill(&client, "cardCvc", "123").await;
    fill(&client, "cardName", "Jane Payer").await;
    fill(&client, "card-phone", "call me").await;
    fill(&client, "card-customFields-seats", "two").await;
    for selector in [
        "#card-customFields-grind option[value=whole]",
        "#card-termsOfService",
    ] {
        client
            .find(Locator::Css(selector))
            .await
            .expect("the input")
            .click()
            .await
            .expect("clicked");
    }
    click_pay(&client).await;
    let phone = appearing(&client, "#card-phone[aria-invalid=true]").await;
    assert_eq!(
        phone
            .attr("aria-describedby")
            .await
            .expect("attr")
            .as_deref(),
        Some("card-phone-error")
    );
    assert_eq!(
        phone.prop("value").await.expect("value").as_deref(),
        Some("call me")
    );
    let name = client
        .find(Locator::Id("cardName"))
        .await
        .expect("the name");
    assert_eq!(
        name.prop("value").await.expect("value").as_deref(),
        Some("Jane Payer")
    );
    screenshots(&client, "checkout-page-collect-refused", "#card-phone").await;

    phone.clear().await.expect("cleared");
    fill(&client, "card-phone", "+49 30 1234 5678").await;
    let seats = client
        .find(Locator::Id("card-customFields-seats"))
        .await
        .expect("seats");
    seats.clear().await.expect("cleared");
    fill(&client, "card-customFields-seats", "2").await;
    submit_card(&client, "4242 4242 4242 4242").await;
    let success = landed(&client).await;
    assert!(success.contains("status=completed"), "{success}");
    let paid = env.get(&key, &id).await.body;
    assert_eq!(paid["customerDetails"]["phone"], "+493012345678");
    assert_eq!(
        paid["customFields"],
        json!([{"key": "seats", "value": "2"}, {"key": "grind", "value": "whole"}])
    );
    assert_eq!(paid["consent"]["termsOfService"], "accepted");
    client.close().await.expect("the browser closes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payer_pays_in_german_and_in_japanese_after_a_decline() {
    let env = TestEnv::new().await;
    let (app, base, key) = shop(&env).await;
    let (_driver, webdriver) = start_chromedriver().await;
    let client = browser(&webdriver, true).await;
    for (locale, currency, unit, declined, invalid, total) in [
        (
            "de",
            "EUR",
            "14.50",
            "Ihre Karte wurde abgelehnt.",
            "Die Kartennummer ist ungültig.",
            "29,00\u{a0}€",
        ),
        (
            "ja",
            "JPY",
            "1450",
            "カードが拒否されました。",
            "カード番号が正しくありません。",
            "￥2,900",
        ),
    ] {
        let id = created_id(
            &app,
            &key,
            &json!({
                "currency": currency,
                "locale": locale,
                "lineItems": [{"name": "Yirgacheffe 250 g", "unitAmount": unit, "quantity": 2}]
            }),
        )
        .await;
        open_page(&client, &base, &id).await;
        let lang = client
            .find(Locator::Css("html"))
            .await
            .expect("the document")
            .attr("lang")
            .await
            .expect("attr");
        assert_eq!(lang.as_deref(), Some(locale));
        let shown = client
            .find(Locator::Css("[data-testid=total]"))
            .await
            .expect("the total")
            .text()
            .await
            .expect("text");
        assert_eq!(shown.replace(' ', "\u{a0}"), total);
        screenshots(
            &client,
            &format!("checkout-page-{locale}"),
            "form button[type=submit]",
        )
        .await;
        // A mistyped number is marked on its field, in the page's language; the payer fixes it.
        fill(&client, "cardName", "Erika Mustermann").await;
        submit_card(&client, "4242 4242 4242 4241").await;
        let marked = appearing(&client, "#cardNumber[aria-invalid=true]").await;
        let message = client
            .find(Locator::Id("cardNumber-error"))
            .await
            .expect("its message")
            .text()
            .await
            .expect("text");
        assert!(message.contains(invalid), "{message}");
        screenshots(
            &client,
            &format!("checkout-page-{locale}-refused"),
            "#cardNumber",
        )
        .await;
        marked.clear().await.expect("cleared");
        submit_card(&client, "4000 0000 0000 0002").await;
        let error = appearing(&client, "[data-testid=error]").await;
        assert!(error.text().await.expect("text").contains(declined));
        let name = client
            .find(Locator::Id("cardName"))
            .await
            .expect("the name");
        assert_eq!(
            name.prop("value").await.expect("value").as_deref(),
            Some("Erika Mustermann"),
            "the name is kept"
        );
        screenshots(
            &client,
            &format!("checkout-page-{locale}-declined"),
            "[data-testid=error]",
        )
        .await;
        // The decline was answered by a redirect: reloading shows the page afresh and sends
        // nothing again.
        let url = client.current_url().await.expect("a URL");
        assert_eq!(url.path(), format!("/pay/{id}"));
        client.refresh().await.expect("reloaded");
        assert!(
            client
                .find(Locator::Css("[data-testid=error]"))
                .await
                .is_err(),
            "the decline is shown once"
        );
        fill(&client, "cardName", "Erika Mustermann").await;
        submit_card(&client, "4242 4242 4242 4242").await;
        let success = landed(&client).await;
        assert!(success.contains("status=completed"), "{success}");
    }
    client.close().await.expect("the browser closes");
}

/// Presses `key` in whatever has the focus.
async fn press(client: &Client, key: Key) {
    client
        .active_element()
        .await
        .expect("a focused element")
        .send_keys(&key.to_string())
        .await
        .expect("pressed");
}

/// The id of the element that has the focus.
async fn focused(client: &Client) -> Option<String> {
    client
        .active_element()
        .await
        .expect("a focused element")
        .attr("id")
        .await
        .expect("attr")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payer_pays_with_the_keyboard_alone_and_with_javascript_off() {
    let env = TestEnv::new().await;
    let (app, base, key) = shop(&env).await;
    let (_driver, webdriver) = start_chromedriver().await;
    // In English, German and Japanese alike.
    for (locale, served) in [("en", "30 min"), ("de", "30 Min."), ("ja", "30 分")] {
        let one_item = json!({
            "locale": locale,
            "expiresIn": "PT30M",
            "lineItems": [{"name": "Tasting box", "unitAmount": "24.00", "quantity": 1}]
        });

        // With JavaScript: a one-item order's pay button shows without scrolling on a phone, and the
        // time left counts down.
        let client = browser(&webdriver, true).await;
        client.set_window_size(390, 844).await.expect("a phone");
        let id = created_id(&app, &key, &one_item).await;
        open_page(&client, &base, &id).await;
        let above_the_fold = client
            .execute(
                "const b = document.querySelector('form button[type=submit]').getBoundingClientRect();
                 return [b.bottom, window.innerHeight];",
                vec![],
            )
            .await
            .expect("measured");
        let (bottom, height) = (above_the_fold[0].as_f64(), above_the_fold[1].as_f64());
        assert!(
            bottom
                .zip(height)
                .is_some_and(|(bottom, height)| bottom <= height),
            "the pay button is above the fold: {above_the_fold}"
        );
        let countdown = client
            .find(Locator::Id("countdown"))
            .await
            .expect("the time left")
            .text()
            .await
            .expect("text");
        assert!(countdown.contains(':'), "counting down: {countdown}");

        // The keyboard alone: Tab to each field, type, Enter pays.
        for _ in 0..10 {
            if focused(&client).await.as_deref() == Some("cardNumber") {
                break;
            }
            press(&client, Key::Tab).await;
        }
        for (id, text) in [
            ("cardNumber", "4242 4242 4242 4242"),
            ("cardExpiry", "12/34"),
            ("cardCvc", "123"),
            ("cardName", "Kim Keyboard"),
        ] {
            assert_eq!(
                focused(&client).await.as_deref(),
                Some(id),
                "Tab reaches {id}"
            );
            client
                .active_element()
                .await
                .expect("focused")
                .send_keys(text)
                .await
                .expect("typed");
            if id != "cardName" {
                press(&client, Key::Tab).await;
            }
        }
        press(&client, Key::Enter).await;
        assert!(landed(&client).await.contains("status=completed"));
        client.close().await.expect("the browser closes");

        // Without JavaScript: the time left is the static text, and paying works the same.
        let client = browser(&webdriver, false).await;
        let id = created_id(&app, &key, &one_item).await;
        open_page(&client, &base, &id).await;
        let countdown = client
            .find(Locator::Id("countdown"))
            .await
            .expect("the time left")
            .text()
            .await
            .expect("text");
        assert!(
            countdown.ends_with(served),
            "the time left as served, without JavaScript: {countdown}"
        );
        fill(&client, "cardName", "Noah Noscript").await;
        submit_card(&client, "4000 0000 0000 0002").await;
        appearing(&client, "[data-testid=error]").await;
        submit_card(&client, "4242 4242 4242 4242").await;
        assert!(landed(&client).await.contains("status=completed"));
        client.close().await.expect("the browser closes");
    }
}

/// Clicks the button whose text is `text` and waits for the page it leads to.
async fn click_button(client: &Client, text: &str) {
    let button = client
        .find(Locator::XPath(&format!(
            "//button[normalize-space()='{text}']"
        )))
        .await
        .unwrap_or_else(|e| panic!("a {text} button: {e}"));
    navigating(client, async || button.click().await.map(|_| ())).await;
}

/// Does `act` and waits (up to 15 s) until the page it was on is replaced by another, so that
/// nothing read next comes from the page before.
async fn navigating(
    client: &Client,
    act: impl AsyncFnOnce() -> Result<(), fantoccini::error::CmdError>,
) {
    let before = client
        .find(Locator::Css("html"))
        .await
        .expect("a page is shown");
    act().await.expect("the action is done");
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    // An element of a page that was replaced answers "stale element reference".
    while before.tag_name().await.is_ok() {
        assert!(
            std::time::Instant::now() < deadline,
            "no new page within 15 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The text of the first secret the page shows once.
async fn shown_secret(client: &Client) -> String {
    appearing(client, ".secret code")
        .await
        .text()
        .await
        .expect("the secret's text")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merchant_signs_in_finds_an_order_refunds_part_rotates_a_secret_and_signs_out() {
    let env = TestEnv::new().await;
    let (app, base, key) = shop(&env).await;
    let id = created_id(
        &app,
        &key,
        &json!({"amount": "30.00", "currency": "EUR", "orderId": "order-1042",
                "customer": {"email": "ada@example.com"},
                "lineItems": [{"name": "Espresso beans", "quantity": 2, "unitAmount": "15.00"}]}),
    )
    .await;
    assert_eq!(env.pay_card(&id, "4242424242424242").await.status, 303);
    created_id(
        &app,
        &key,
        &json!({"amount": "9.00", "currency": "EUR", "orderId": "order-1043"}),
    )
    .await;
    let (_driver, webdriver) = start_chromedriver().await;
    let client = browser(&webdriver, true).await;

    client
        .goto(&format!("{base}/dashboard/"))
        .await
        .expect("the dashboard loads");
    fill(&client, "apiKey", &key).await;
    screenshots(&client, "dashboard-sign-in", "form").await;
    click_button(&client, "Sign in").await;
    appearing(&client, "[data-figure=volume]").await;
    let volume = client
        .find(Locator::Css("[data-figure=volume]"))
        .await
        .expect("the volume")
        .text()
        .await
        .expect("text");
    assert_eq!(volume, "30.00 EUR");
    screenshots(&client, "dashboard-overview", "svg.chart").await;

    client
        .goto(&format!("{base}/dashboard/sessions"))
        .await
        .expect("sessions");
    fill(&client, "q", "order-1042").await;
    click_button(&client, "Show").await;
    let row = appearing(&client, &format!("tr[data-session='{id}'] a")).await;
    let rows = client
        .find_all(Locator::Css("tr[data-session]"))
        .await
        .expect("rows");
    assert_eq!(rows.len(), 1, "only order-1042");
    screenshots(&client, "dashboard-sessions", "table").await;
    navigating(&client, async || row.click().await.map(|_| ())).await;

    let amount = appearing(&client, "#amount").await;
    amount.clear().await.expect("cleared");
    amount.send_keys("12.00").await.expect("typed");
    client
        .find(Locator::Css("#reason option[value=requested_by_customer]"))
        .await
        .expect("a reason")
        .click()
        .await
        .expect("chosen");
    click_button(&client, "Refund").await;
    appearing(&client, ".notice").await;
    let timeline = client
        .find(Locator::Css(".timeline"))
        .await
        .expect("the timeline")
        .text()
        .await
        .expect("its text");
    assert!(timeline.contains("of 12.00 EUR"), "{timeline}");
    assert!(timeline.contains("Event refund.created"), "{timeline}");
    screenshots(&client, "dashboard-session", ".timeline").await;

    client
        .goto(&format!("{base}/dashboard/webhooks"))
        .await
        .expect("webhooks");
    fill(&client, "new-url", &format!("{base}/landing/hooks")).await;
    click_button(&client, "Add endpoint").await;
    let first = shown_secret(&client).await;
    assert!(first.starts_with("whsec_"), "{first}");
    client
        .find(Locator::XPath(
            "//summary[normalize-space()='Rotate secret…']",
        ))
        .await
        .expect("the rotation asks first")
        .click()
        .await
        .expect("opened");
    click_button(&client, "Rotate now").await;
    appearing(&client, ".notice").await;
    let rotated = shown_secret(&client).await;
    assert!(rotated.starts_with("whsec_") && rotated != first);
    screenshots(&client, "dashboard-webhooks", ".secret").await;
    // Two events with attempts to the same endpoint: each attempts table a region of its own name.
    for _ in 0..2 {
        click_button(&client, "Send a test event").await;
    }
    env.dispatch_scheduled().await;
    client
        .goto(&format!("{base}/dashboard/webhooks"))
        .await
        .expect("webhooks");
    let regions = client
        .find_all(Locator::Css("#recent-heading ~ article .table-scroll"))
        .await
        .expect("attempt tables");
    assert!(regions.len() >= 2, "{} attempt tables", regions.len());
    screenshots(&client, "dashboard-webhooks-attempts", "#recent-heading").await;

    for (path, name, focus) in [
        ("keys", "dashboard-keys", "table"),
        ("settings", "dashboard-settings", "iframe"),
    ] {
        client
            .goto(&format!("{base}/dashboard/{path}"))
            .await
            .expect("the page loads");
        appearing(&client, focus).await;
        screenshots(&client, name, focus).await;
    }
    // The preview follows what is typed, before anything is saved.
    fill(&client, "displayName", " Roasters").await;
    let frame = client
        .find(Locator::Id("preview"))
        .await
        .expect("the preview");
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let src = frame.attr("src").await.expect("src").unwrap_or_default();
        if src.contains("Acme+Coffee+Roasters") || src.contains("Acme%20Coffee%20Roasters") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the preview follows: {src}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    click_button(&client, "Sign out").await;
    appearing(&client, "#apiKey").await;
    client
        .goto(&format!("{base}/dashboard/sessions"))
        .await
        .expect("sessions");
    appearing(&client, "#apiKey").await;
    assert!(
        !client
            .source()
            .await
            .expect("source")
            .contains("order-1042"),
        "signed out shows no data"
    );
    client.close().await.expect("the browser closes");
}

/// Where the page's parts sit: the page's width beside the window's, the right edge of the
/// summary's table beside its card's, and the card form's left edge.
async fn layout(client: &Client) -> serde_json::Value {
    client
        .execute(
            "const right = s => { const e = document.querySelector(s); return e ? e.getBoundingClientRect().right : null; };
             const form = document.querySelector('section.card:not(.summary)');
             return {
               pageWidth: document.documentElement.scrollWidth,
               windowWidth: window.innerWidth,
               tableRight: right('.summary table'),
               summaryRight: right('.summary'),
               totalRight: right('[data-testid=total]'),
               formLeft: form ? form.getBoundingClientRect().left : null,
             };",
            vec![],
        )
        .await
        .expect("measured")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_merchant_text_stays_in_its_column_and_back_after_paying_shows_no_card() {
    let env = TestEnv::new().await;
    let (app, base, key) = shop(&env).await;
    let (_driver, webdriver) = start_chromedriver().await;
    let client = browser(&webdriver, true).await;
    let id = created_id(
        &app,
        &key,
        &json!({
            "orderId": "NORTHWIND-WHOLESALE-2026-12-07-000000000000000000000000000000000000000001",
            "lineItems": [
                {
                    "name": "https://northwind.example/products/ethiopia-yirgacheffe-250g-whole-bean",
                    "unitAmount": "14.50",
                    "quantity": 2
                },
                {"name": "Filter papers", "unitAmount": "3.00", "quantity": 1}
            ]
        }),
    )
    .await;
    open_page(&client, &base, &id).await;
    appearing(&client, "#cardNumber").await;
    for (width, suffix) in [(1280, "desktop"), (1024, "laptop"), (390, "phone")] {
        client
            .set_window_size(width, 900)
            .await
            .expect("the window resizes");
        let at = layout(&client).await;
        let number = |name: &str| at[name].as_f64().unwrap_or(f64::NAN);
        assert!(
            number("pageWidth") <= number("windowWidth"),
            "{width} px: the page is wider than the window: {at}"
        );
        assert!(
            number("tableRight") <= number("summaryRight") + 0.5
                && number("totalRight") <= number("summaryRight") + 0.5,
            "{width} px: the summary overflows its card: {at}"
        );
        if width >= 1024 {
            assert!(
                number("summaryRight") <= number("formLeft"),
                "{width} px: the summary runs over the card form: {at}"
            );
        }
        let screenshot = client.screenshot().await.expect("a screenshot");
        let path = screenshot_dir().join(format!("long-text-{suffix}.png"));
        std::fs::write(&path, screenshot).expect("the screenshot is saved");
    }
    assert_eq!(
        accessibility_violations(&client).await,
        Vec::<String>::new(),
        "axe-core on the long-text page"
    );

    submit_card(&client, "4242424242424242").await;
    landed(&client).await;
    client.back().await.expect("back");
    let state = appearing(&client, "[data-testid=state], #cardNumber").await;
    let shown = client
        .execute(
            "const f = document.getElementById('cardNumber');
             const c = document.getElementById('cardCvc');
             return {number: f ? f.value : null, cvc: c ? c.value : null,
                     state: (document.querySelector('[data-testid=state]') || {}).dataset};",
            vec![],
        )
        .await
        .expect("read");
    drop(state);
    assert!(
        shown["number"].as_str().is_none_or(str::is_empty)
            && shown["cvc"].as_str().is_none_or(str::is_empty),
        "no card data after Back: {shown}"
    );
    client.close().await.expect("the browser closes");
}
