//! `/dashboard/`: thirty days of volume and conversion per currency.

use checkout_api::ApiError;
use checkout_api::service::dashboard::{self, DayFigures, Overview};
use checkout_domain::money::Currency;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use rust_decimal::Decimal;

use crate::charts::bar_chart;
use crate::views::{self, *};
use crate::visit::Visit;

use super::answers::chrome_with_notice;

/// `/dashboard/`: 30 days of volume and conversion per currency.
pub async fn overview(visit: &Visit<'_>) -> Result<Response<Body>, ApiError> {
    let figures = dashboard::overview(visit.app, &visit.signed_in.merchant).await?;
    Ok(views::page(
        StatusCode::OK,
        &overview_page(chrome_with_notice(visit, "Overview", "overview"), &figures),
        None,
    ))
}

fn overview_page(c: Chrome, figures: &Overview) -> OverviewPage {
    let day_names: Vec<String> = figures
        .days
        .iter()
        .map(|d| format!("{} {}", &d.month().to_string()[..3], d.day()))
        .collect();
    let currencies = figures
        .series
        .iter()
        .map(|(currency, days)| currency_view(*currency, days, &figures.days, &day_names))
        .collect();
    let day = |date: Option<&time::Date>| date.map(ToString::to_string).unwrap_or_default();
    OverviewPage {
        c,
        currencies,
        first_day: day(figures.days.first()),
        last_day: day(figures.days.last()),
        truncated: figures.truncated,
    }
}

/// One currency's figures for the `dates` (named `day_names` under the charts).
fn currency_view(
    currency: Currency,
    days: &[DayFigures],
    dates: &[time::Date],
    day_names: &[String],
) -> CurrencyView {
    let code = currency.code();
    let volume: Decimal = days.iter().map(|d| d.volume).sum();
    let paid: u32 = days.iter().map(|d| d.paid).sum();
    let created: u32 = days.iter().map(|d| d.created).sum();
    let percent = |value: Option<Decimal>| {
        value.map_or_else(|| "–".to_owned(), |v| format!("{}%", v.round_dp(1)))
    };
    let rows: Vec<DayRow> = dates
        .iter()
        .zip(days)
        .map(|(date, day)| DayRow {
            date: date.to_string(),
            created: day.created,
            paid: day.paid,
            volume: format!("{} {code}", day.volume),
            conversion: percent(day.conversion()),
        })
        .collect();
    let volumes: Vec<Decimal> = days.iter().map(|d| d.volume).collect();
    let rates: Vec<Decimal> = days
        .iter()
        .map(|d| d.conversion().unwrap_or_default())
        .collect();
    CurrencyView {
        code,
        volume: format!("{volume} {code}"),
        paid,
        created,
        conversion: percent(
            (created > 0)
                .then(|| Decimal::from(paid) * Decimal::from(100) / Decimal::from(created)),
        ),
        volume_chart: bar_chart(
            &volumes,
            rows.iter()
                .map(|r| format!("{}: {}", r.date, r.volume))
                .collect(),
            day_names,
            |v| v.to_string(),
        ),
        conversion_chart: bar_chart(
            &rates,
            rows.iter()
                .map(|r| format!("{}: {} ({} of {})", r.date, r.conversion, r.paid, r.created))
                .collect(),
            day_names,
            |v| format!("{v}%"),
        ),
        rows,
    }
}
