//! The page in the payer's language (SPEC §20): its words from the Fluent catalogs in
//! `locales/`, its amounts and numbers formatted by the locale's CLDR conventions through ICU4X.

use std::collections::HashMap;
use std::sync::OnceLock;

use checkout_domain::money::{Amount, Currency};
use checkout_domain::timestamp::Timestamp;
use checkout_domain::values::Locale;
use fixed_decimal::Decimal;
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use icu_calendar::{Date, Gregorian};
use icu_datetime::FixedCalendarDateTimeFormatter;
use icu_datetime::fieldsets::YMD;
use icu_decimal::DecimalFormatter;
use icu_experimental::dimension::currency::CurrencyType;
use icu_experimental::dimension::currency::formatter::CurrencyFormatter;
use writeable::Writeable;

/// Every language the page speaks and its catalog.
const CATALOGS: [(Locale, &str); 8] = [
    (Locale::En, include_str!("../locales/en.ftl")),
    (Locale::De, include_str!("../locales/de.ftl")),
    (Locale::Fr, include_str!("../locales/fr.ftl")),
    (Locale::Es, include_str!("../locales/es.ftl")),
    (Locale::It, include_str!("../locales/it.ftl")),
    (Locale::Nl, include_str!("../locales/nl.ftl")),
    (Locale::PtBr, include_str!("../locales/pt-BR.ftl")),
    (Locale::Ja, include_str!("../locales/ja.ftl")),
];

type Bundle = FluentBundle<FluentResource>;

/// The catalogs, parsed once per container.
fn bundles() -> &'static HashMap<Locale, Bundle> {
    static BUNDLES: OnceLock<HashMap<Locale, Bundle>> = OnceLock::new();
    BUNDLES.get_or_init(|| {
        CATALOGS
            .iter()
            .filter_map(|(locale, source)| {
                let id = locale.as_str().parse().ok()?;
                let resource = FluentResource::try_new((*source).to_owned())
                    .map_err(|(_, errors)| {
                        tracing::error!(?errors, locale = locale.as_str(), "catalog")
                    })
                    .ok()?;
                let mut bundle = Bundle::new_concurrent(vec![id]);
                // The page is HTML: bidi isolation marks would only get in the way of copying.
                bundle.set_use_isolating(false);
                bundle.add_resource(resource).ok()?;
                Some((*locale, bundle))
            })
            .collect()
    })
}

/// The words and number formats of one language.
#[derive(Debug, Clone, Copy)]
pub struct Texts {
    locale: Locale,
}

impl Texts {
    /// The page's texts in `locale` (`auto` reads as English).
    pub fn new(locale: Locale) -> Self {
        let locale = if locale == Locale::Auto {
            Locale::En
        } else {
            locale
        };
        Self { locale }
    }

    /// The language tag for `<html lang>`.
    pub fn lang(&self) -> &'static str {
        self.locale.as_str()
    }

    /// Message `id`.
    pub fn t(&self, id: &str) -> String {
        self.with(id, &[])
    }

    /// Message `id` with the one argument `name`.
    pub fn t1(&self, id: &str, name: &str, value: &str) -> String {
        self.with(id, &[(name, value.to_owned().into())])
    }

    /// Message `id` with the number `count`, for its plural forms.
    pub fn n(&self, id: &str, count: &u32) -> String {
        self.with(id, &[("count", (*count).into())])
    }

    /// Message `id` with `args`; English when the language lacks it, and the id itself when no
    /// catalog has it (a test catches that).
    pub fn with(&self, id: &str, args: &[(&str, FluentValue<'_>)]) -> String {
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            fluent_args.set(*name, value.clone());
        }
        for locale in [self.locale, Locale::En] {
            let Some(bundle) = bundles().get(&locale) else {
                continue;
            };
            if let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) {
                let mut errors = Vec::new();
                let text = bundle.format_pattern(pattern, Some(&fluent_args), &mut errors);
                return text.into_owned();
            }
        }
        id.to_owned()
    }

    /// `amount` in `currency` as the locale writes money (`10,50 €` in German, `￥9,200` in
    /// Japanese), from CLDR.
    pub fn money(&self, amount: Amount, currency: Currency) -> String {
        let code = currency.code().to_ascii_lowercase();
        let formatted = self.icu_locale().and_then(|locale| {
            let code = CurrencyType::try_from_str(&code).ok()?;
            let value: Decimal = amount.to_string().parse().ok()?;
            let formatter =
                CurrencyFormatter::try_new_symbol((&locale).into(), code, Default::default())
                    .ok()?;
            Some(
                formatter
                    .format_fixed_decimal(&value)
                    .write_to_string()
                    .into_owned(),
            )
        });
        formatted.unwrap_or_else(|| format!("{amount} {}", currency.code()))
    }

    /// A decimal number as the locale writes it (`0,015` in German).
    pub fn number(&self, value: &str) -> String {
        let formatted = self.icu_locale().and_then(|locale| {
            let decimal: Decimal = value.parse().ok()?;
            let formatter = DecimalFormatter::try_new((&locale).into(), Default::default()).ok()?;
            Some(formatter.format(&decimal).write_to_string().into_owned())
        });
        formatted.unwrap_or_else(|| value.to_owned())
    }

    /// The day of `at` (UTC) as the locale writes a date (`Dec 2, 2026`, `02.12.2026`,
    /// `2026/12/02`), from CLDR.
    pub fn date(&self, at: Timestamp) -> String {
        let day = at.date();
        let formatted = self.icu_locale().and_then(|locale| {
            let date =
                Date::try_new_gregorian(day.year(), u8::from(day.month()), day.day()).ok()?;
            let formatter = FixedCalendarDateTimeFormatter::<Gregorian, YMD>::try_new(
                (&locale).into(),
                YMD::medium(),
            )
            .ok()?;
            Some(formatter.format(&date).write_to_string().into_owned())
        });
        formatted.unwrap_or_else(|| day.to_string())
    }

    fn icu_locale(&self) -> Option<icu_locale_core::Locale> {
        icu_locale_core::Locale::try_from_str(self.locale.as_str()).ok()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn ids(source: &str) -> BTreeSet<String> {
        source
            .lines()
            .filter(|line| line.starts_with(|c: char| c.is_ascii_lowercase()))
            .filter_map(|line| line.split_once(" =").map(|(id, _)| id.to_owned()))
            .collect()
    }

    #[test]
    fn every_catalog_has_every_message_and_each_formats_cleanly() {
        let english = ids(CATALOGS[0].1);
        assert!(english.len() > 100);
        for (locale, source) in CATALOGS {
            assert_eq!(ids(source), english, "{}", locale.as_str());
            let bundle = bundles().get(&locale).expect("the catalog parses");
            for id in &english {
                let pattern = bundle
                    .get_message(id)
                    .and_then(|m| m.value())
                    .expect("a value");
                let mut args = FluentArgs::new();
                for name in [
                    "merchant", "amount", "time", "card", "network", "last4", "label", "brand",
                    "asset", "date",
                ] {
                    args.set(name, "x");
                }
                for name in ["minutes", "hours", "days", "count", "seen", "required"] {
                    args.set(name, 2);
                }
                let mut errors = Vec::new();
                bundle.format_pattern(pattern, Some(&args), &mut errors);
                assert!(errors.is_empty(), "{} {id}: {errors:?}", locale.as_str());
            }
        }
    }

    #[test]
    fn amounts_follow_cldr_for_each_locale_and_currency() {
        let money = |locale, amount: &str, currency: Currency| {
            let amount = Amount::parse(amount, currency).expect("an amount");
            Texts::new(locale).money(amount, currency)
        };
        assert_eq!(money(Locale::En, "1234.5", Currency::Usd), "$1,234.50");
        assert_eq!(money(Locale::De, "10.50", Currency::Eur), "10,50\u{a0}€");
        assert_eq!(
            money(Locale::De, "1234.50", Currency::Eur),
            "1.234,50\u{a0}€"
        );
        assert_eq!(money(Locale::Fr, "10.50", Currency::Eur), "10,50\u{a0}€");
        assert_eq!(
            money(Locale::Fr, "1234.50", Currency::Eur),
            "1\u{202f}234,50\u{a0}€"
        );
        assert_eq!(money(Locale::Ja, "9200", Currency::Jpy), "￥9,200");
        assert_eq!(money(Locale::En, "9200", Currency::Jpy), "¥9,200");
        assert_eq!(money(Locale::Nl, "10.50", Currency::Eur), "€\u{a0}10,50");
        assert_eq!(money(Locale::Es, "10.50", Currency::Eur), "10,50\u{a0}€");
        assert_eq!(money(Locale::It, "10.50", Currency::Eur), "10,50\u{a0}€");
        assert_eq!(
            money(Locale::PtBr, "10.50", Currency::Usd),
            "US$\u{a0}10,50"
        );
        assert_eq!(money(Locale::En, "10.50", Currency::Gbp), "£10.50");
        assert_eq!(Texts::new(Locale::De).number("0.01500000"), "0,01500000");
        // Every language with every currency: CLDR data for each pair, the amount's digits in it.
        for (locale, _) in CATALOGS {
            for currency in [
                Currency::Usd,
                Currency::Eur,
                Currency::Gbp,
                Currency::Aud,
                Currency::Cad,
                Currency::Jpy,
            ] {
                let (amount, digits) = if currency == Currency::Jpy {
                    ("1234", "1234")
                } else {
                    ("1234.5", "123450")
                };
                let text = money(locale, amount, currency);
                let shown: String = text.chars().filter(char::is_ascii_digit).collect();
                assert_eq!(shown, digits, "{} {currency:?}: {text}", locale.as_str());
                assert!(
                    text.chars()
                        .any(|c| !c.is_ascii_digit() && !",. \u{a0}\u{202f}".contains(c)),
                    "a currency sign: {text}"
                );
            }
        }
        let day = Timestamp::parse_rfc3339("2026-12-02T23:59:00Z").expect("a time");
        assert_eq!(Texts::new(Locale::En).date(day), "Dec 2, 2026");
        assert_eq!(Texts::new(Locale::De).date(day), "02.12.2026");
        assert_eq!(Texts::new(Locale::Ja).date(day), "2026/12/02");
    }

    #[test]
    fn plurals_and_arguments_read_naturally() {
        assert_eq!(
            Texts::new(Locale::En).n("attempts-left", &1),
            "You can try 1 more time."
        );
        assert_eq!(
            Texts::new(Locale::En).n("attempts-left", &2),
            "You can try 2 more times."
        );
        assert_eq!(
            Texts::new(Locale::De).n("attempts-left", &1),
            "Sie haben noch 1 Versuch."
        );
        assert_eq!(Texts::new(Locale::Auto).lang(), "en");
    }
}
