//! The budgets of `docs/performance.md` (its "Budgets" table), each printed beside what this run
//! measured: the document states them once, the bench holds every run to them.

use crate::BenchResult;

const PERFORMANCE_DOC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/performance.md");
const HEADING: &str = "## Budgets";

/// One budget: at most `limit` of `measure` for `step`.
pub struct Budget {
    step: String,
    measure: String,
    limit: f64,
}

/// The budgets table of `docs/performance.md`: the rows under its heading whose third cell is a
/// number (`| step | measure | at most | why |`).
pub fn read() -> BenchResult<Vec<Budget>> {
    let text = std::fs::read_to_string(PERFORMANCE_DOC)?;
    let section = text
        .split_once(HEADING)
        .map(|(_, rest)| rest)
        .ok_or("docs/performance.md has no budgets table")?;
    Ok(section
        .lines()
        .skip_while(|line| !line.starts_with('|'))
        .take_while(|line| line.starts_with('|'))
        .filter_map(|line| {
            let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
            Some(Budget {
                step: cells.first()?.to_string(),
                measure: cells.get(1)?.to_string(),
                limit: cells.get(2)?.parse().ok()?,
            })
        })
        .collect())
}

/// Prints each budget beside the figure `measured` gives for its step and measure (none: a
/// capability not built yet, or a measure this run skipped).
pub fn print(budgets: &[Budget], measured: impl Fn(&str, &str) -> Option<f64>) {
    println!("\n## Budgets (docs/performance.md), beside this run\n");
    println!("| step | measure | budget | measured | |");
    println!("|---|---|---:|---:|---|");
    for budget in budgets {
        let (figure, verdict) = match measured(&budget.step, &budget.measure) {
            Some(value) if value <= budget.limit => (format!("{value:.1}"), "within"),
            Some(value) => (format!("{value:.1}"), "**over**"),
            None => ("–".to_owned(), "not measured"),
        };
        println!(
            "| {} | {} | ≤ {} | {figure} | {verdict} |",
            budget.step, budget.measure, budget.limit
        );
    }
}
