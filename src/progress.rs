//! The spinner `distribute` and `check --samples` draw on stderr while records are read: the
//! records so far and the rate, both grouped as every other number is ([`crate::numbers`]).
//! A utility below the commands; knows nothing of records.

use std::fmt::Write;

use indicatif::{ProgressState, ProgressStyle};

/// The spinner's style; with `label`, the bar's message (what is read) comes last, cut to the
/// terminal's width (a long rule address wrapped the line). indicatif's own `{per_sec}`
/// printed the rate with four decimals (`5,850,672.0991/s`).
pub fn records_style(label: bool) -> ProgressStyle {
    let template = if label {
        "{spinner} {human_pos} records ({rate}) {wide_msg}"
    } else {
        "{spinner} {human_pos} records ({rate})"
    };
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
        .with_key("rate", |s: &ProgressState, w: &mut dyn Write| {
            let _ = write!(w, "{}", rate(s.per_sec()));
        })
}

/// `12,345,678/s`, whole records a second (nothing shown before the first estimate).
fn rate(per_sec: f64) -> String {
    if per_sec.is_finite() && per_sec >= 0.0 {
        format!("{}/s", crate::numbers::thousands(per_sec.round() as u64))
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_is_whole_and_grouped() {
        assert_eq!(rate(5_850_672.099_1), "5,850,672/s");
        assert_eq!(rate(999.5), "1,000/s");
        assert_eq!(rate(0.0), "0/s");
        assert_eq!(rate(f64::NAN), "");
        assert_eq!(rate(f64::INFINITY), "");
    }
}
