//! The page in the payer's language (SPEC §20): `locale` on the session and the account, `auto`
//! from the browser's `Accept-Language`, amounts in the locale's conventions from CLDR.

use integration_tests::TestEnv;
use serde_json::json;

#[tokio::test]
async fn the_session_the_account_or_the_browser_chooses_the_language_of_the_page() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;

    let bad = env
        .create(&key, &json!({"amount": "10.50", "locale": "de-DE"}))
        .await;
    assert_eq!(
        (bad.status, bad.error_fields()),
        (400, vec!["locale".to_owned()])
    );

    let german = env
        .create(
            &key,
            &json!({"amount": "10.50", "currency": "EUR", "locale": "de"}),
        )
        .await;
    assert_eq!(german.status, 201, "{}", german.body);
    assert_eq!(german.body["locale"], "de");
    let id = german.body["id"].as_str().expect("an id");
    let page = env.page_in(&format!("/pay/{id}"), "ja").await;
    assert!(
        page.body.contains("<html lang=\"de\">"),
        "the session's choice wins"
    );
    assert!(page.body.contains("Mit Karte zahlen"));
    assert!(
        page.body.contains("10,50\u{a0}€"),
        "CLDR: comma, no-break space, sign after"
    );
    assert_eq!(page.header("vary"), Some("accept-language"));
    assert!(
        env.pay_card(id, "4242424242424242")
            .await
            .left_for_the_shop()
    );
    let paid = env.page_in(&format!("/pay/{id}"), "ja").await;
    let today = env.app.now().date();
    let date = format!(
        "{:02}.{:02}.{}",
        today.day(),
        u8::from(today.month()),
        today.year()
    );
    assert!(
        paid.body.contains(&format!(
            "10,50\u{a0}€ bezahlt am {date} mit Visa mit Endziffern 4242."
        )),
        "what was paid, when and with which card, in German"
    );

    let auto = env
        .created_id(&key, &json!({"amount": "9200", "currency": "JPY"}))
        .await;
    let japanese = env.page_in(&format!("/pay/{auto}"), "ja-JP,en;q=0.5").await;
    assert!(japanese.body.contains("<html lang=\"ja\">"));
    assert!(japanese.body.contains("カードで支払う"));
    assert!(
        japanese.body.contains("￥9,200"),
        "CLDR: the full-width yen sign"
    );
    let unknown = env.page_in(&format!("/pay/{auto}"), "sv-SE").await;
    assert!(unknown.body.contains("<html lang=\"en\">") && unknown.body.contains("Pay by card"));

    let updated = env
        .call("update-account", &key, None, Some(&json!({"locale": "fr"})))
        .await;
    assert_eq!(updated.status, 200);
    let french = env.page_in(&format!("/pay/{auto}"), "ja").await;
    assert!(
        french.body.contains("<html lang=\"fr\">"),
        "the account's default"
    );
    assert!(french.body.contains("Payer par carte"));

    let switched = env.update(&key, &auto, &json!({"locale": "pt-BR"})).await;
    assert_eq!(
        (switched.status, &switched.body["locale"]),
        (200, &json!("pt-BR"))
    );
    let portuguese = env.page_in(&format!("/pay/{auto}"), "ja").await;
    assert!(portuguese.body.contains("<html lang=\"pt-BR\">"));

    let missing = env.page_in("/pay/cs_000000000000000000000000", "de").await;
    assert_eq!(missing.status, 404);
    assert!(missing.body.contains("Zahlung nicht gefunden"));
}

#[tokio::test]
async fn a_decline_and_a_refused_field_are_explained_in_the_pages_language() {
    let env = TestEnv::new().await;
    let key = env.merchant().await.api_key;
    let id = env
        .created_id(
            &key,
            &json!({"amount": "12.00", "currency": "EUR", "locale": "nl"}),
        )
        .await;
    let declined = env.pay_card(&id, "4000000000000002").await;
    assert_eq!(declined.status, 422);
    assert!(
        declined.body.contains("Uw kaart is geweigerd."),
        "{}",
        declined.body
    );
    assert!(declined.body.contains("U kunt het nog 2 keer proberen."));
    let typo = env.pay_card(&id, "4242424242424241").await;
    assert!(typo.body.contains("Het kaartnummer is ongeldig."));
    assert!(typo.body.contains("aria-describedby=\"cardNumber-error\""));

    // A wrong number and a past expiry together: both marked at once.
    let path = format!("/pay/{id}");
    let token = env.page(&path, None).await.token();
    let both = env
        .page(
            &path,
            Some(&[
                ("method", "card"),
                ("token", token.as_str()),
                ("version", "1"),
                ("cardNumber", "4242424242424241"),
                ("cardExpiry", "01/20"),
                ("cardCvc", "123"),
            ]),
        )
        .await;
    assert_eq!(both.status, 422);
    for field in ["cardNumber", "cardExpiry"] {
        assert!(
            both.body
                .contains(&format!("aria-describedby=\"{field}-error\""))
                && both.body.contains(&format!("id=\"{field}-error\"")),
            "{field} is marked"
        );
    }
    assert!(both.body.contains("Het kaartnummer is ongeldig."));
    assert!(
        both.body
            .contains("De vervaldatum is ongeldig of verstreken.")
    );
    assert!(!both.body.contains("cardCvc-error"), "the code was fine");
}
