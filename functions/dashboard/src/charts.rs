//! The overview's bar charts, laid out here and drawn by the template as SVG: one bar per day on
//! a scale rounded to 1, 2 or 5 times a power of ten, with its gridlines labelled.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// The drawing's size in SVG units; it scales to its box.
const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 200.0;
/// Room for the value labels on the left and the day labels below.
const LEFT: f64 = 56.0;
const BOTTOM: f64 = 22.0;
const TOP: f64 = 8.0;

/// A laid-out bar chart.
pub struct BarChart {
    /// The SVG `viewBox`.
    pub view_box: String,
    /// One per value, in order.
    pub bars: Vec<Bar>,
    /// Horizontal gridlines with their values.
    pub grid: Vec<Tick>,
    /// Some of the days, under their bars.
    pub days: Vec<Tick>,
    /// Where the axis runs.
    pub axis_y: String,
    /// The left edge of the plot.
    pub left: String,
    /// The right edge of the plot.
    pub right: String,
}

/// One bar.
pub struct Bar {
    pub x: String,
    pub y: String,
    pub width: String,
    pub height: String,
    /// What it stands for, as a tooltip.
    pub label: String,
}

/// A labelled position on an axis.
pub struct Tick {
    pub at: String,
    pub label: String,
}

/// Lays out `values` (labelled `labels`, with the day names `days` under them, every seventh
/// shown) with gridlines labelled by `format`.
pub fn bar_chart(
    values: &[Decimal],
    labels: Vec<String>,
    days: &[String],
    format: impl Fn(Decimal) -> String,
) -> BarChart {
    let top = nice_ceiling(values.iter().copied().max().unwrap_or_default());
    let plot_height = HEIGHT - TOP - BOTTOM;
    let slot = (WIDTH - LEFT) / values.len().max(1) as f64;
    let scale = |value: Decimal| {
        let ratio = (value / top).to_f64().unwrap_or_default().clamp(0.0, 1.0);
        ratio * plot_height
    };
    let bars = values
        .iter()
        .zip(labels)
        .enumerate()
        .map(|(index, (value, label))| {
            let height = scale(*value);
            Bar {
                x: coordinate(LEFT + slot * index as f64 + slot * 0.15),
                y: coordinate(TOP + plot_height - height),
                width: coordinate(slot * 0.7),
                height: coordinate(height),
                label,
            }
        })
        .collect();
    let grid = (0..=4)
        .map(|step| {
            let value = top * Decimal::from(step) / Decimal::from(4);
            Tick {
                at: coordinate(TOP + plot_height - scale(value)),
                label: format(value.normalize()),
            }
        })
        .collect();
    let days = days
        .iter()
        .enumerate()
        // Every seventh day, and the last unless it would crowd the one before.
        .filter(|(index, _)| (index % 7 == 0 && index + 3 < days.len()) || *index + 1 == days.len())
        .map(|(index, day)| Tick {
            at: coordinate(LEFT + slot * index as f64 + slot / 2.0),
            label: day.clone(),
        })
        .collect();
    BarChart {
        view_box: format!("0 0 {WIDTH} {HEIGHT}"),
        bars,
        grid,
        days,
        axis_y: coordinate(HEIGHT - BOTTOM + 14.0),
        left: coordinate(LEFT),
        right: coordinate(WIDTH),
    }
}

/// The smallest of 1, 2 or 5 times a power of ten that is at least `value` (1 for nothing).
fn nice_ceiling(value: Decimal) -> Decimal {
    if value <= Decimal::ZERO {
        return Decimal::ONE;
    }
    let mut step = Decimal::new(1, 2);
    loop {
        for factor in [1, 2, 5] {
            let candidate = step * Decimal::from(factor);
            if candidate >= value {
                return candidate;
            }
        }
        step *= Decimal::TEN;
    }
}

fn coordinate(value: f64) -> String {
    format!("{value:.1}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scale_rounds_up_to_one_two_or_five_times_a_power_of_ten() {
        let cases = [
            ("0", "1"),
            ("0.3", "0.5"),
            ("7", "10"),
            ("120", "200"),
            ("4999", "5000"),
        ];
        for (value, ceiling) in cases {
            let value: Decimal = value.parse().expect("decimal");
            assert_eq!(nice_ceiling(value).normalize().to_string(), ceiling);
        }
    }

    #[test]
    fn bars_stand_in_proportion_to_their_values_on_one_baseline() {
        let values = [Decimal::from(50), Decimal::from(100), Decimal::ZERO];
        let chart = bar_chart(
            &values,
            vec!["a".into(), "b".into(), "c".into()],
            &["d1".into(), "d2".into(), "d3".into()],
            |v| v.to_string(),
        );
        let heights: Vec<f64> = chart
            .bars
            .iter()
            .map(|bar| bar.height.parse().expect("number"))
            .collect();
        assert!((heights[1] - 2.0 * heights[0]).abs() < 0.2, "{heights:?}");
        assert_eq!(heights[2], 0.0);
        let bottoms: Vec<f64> = chart
            .bars
            .iter()
            .map(|bar| bar.y.parse::<f64>().expect("y") + bar.height.parse::<f64>().expect("h"))
            .collect();
        assert!(
            bottoms
                .windows(2)
                .all(|pair| (pair[0] - pair[1]).abs() < 0.2)
        );
        assert_eq!(chart.grid.last().map(|t| t.label.as_str()), Some("100"));
    }
}
