//! Number formatting for every output (findings, `distribute`, `simulate`, HTML): digits grouped
//! with commas, counts with the right plural, shares as percentages, seconds. One module so that
//! a number reads the same wherever it is printed. Bottom layer: uses nothing of the crate.

/// `3,000,000`: the one digit grouping every output uses.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A float grouped like [`thousands`]: `1,234`, or `2.5` below 100 when it has a fraction.
pub fn thousands_f(n: f64) -> String {
    if n.fract() != 0.0 && n < 100.0 {
        return format!("{n:.1}");
    }
    thousands(n.max(0.0).round() as u64)
}

/// `1 open shard`, `8 open shards`, `1,000 keys`: a count with its noun, digits grouped.
pub fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

/// A share (0..1) as a percentage with `decimals` decimals: `12.5%`.
pub fn percent(share: f64, decimals: usize) -> String {
    format!("{:.*}%", decimals, share * 100.0)
}

/// `12.5%`: the finding messages' precision.
pub fn pct(share: f64) -> String {
    percent(share, 1)
}

/// A share rounded for charts: whole percents, one decimal under 10% when it matters.
pub fn pct_short(share: f64) -> String {
    let p = share * 100.0;
    if p == 0.0 || p >= 10.0 || (p - p.round()).abs() < 0.05 {
        format!("{p:.0}%")
    } else {
        format!("{p:.1}%")
    }
}

/// Seconds with one decimal: `1.5s`.
pub fn seconds(x: f64) -> String {
    format!("{x:.1}s")
}

/// Shortest round-trip form, as JSON writes it (`35.658278`, `3.0`, `1e21`), or `None` for NaN
/// and infinities: how IoT SQL turns a decimal into text.
pub fn json_float(f: f64) -> Option<String> {
    serde_json::Number::from_f64(f).map(|n| n.to_string())
}

/// A number literal as written in a template: whole numbers without `.0`.
pub fn literal_float(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 9.0e15 {
        format!("{}", f as i64)
    } else {
        json_float(f).unwrap_or_else(|| f.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(3_000_000), "3,000,000");
        assert_eq!(plural(1, "shard", "shards"), "1 shard");
        assert_eq!(plural(1_000, "key", "keys"), "1,000 keys");
        assert_eq!(percent(0.125, 2), "12.50%");
        assert_eq!(pct(0.125), "12.5%");
        assert_eq!(pct_short(0.125), "12%");
        assert_eq!(pct_short(0.025), "2.5%");
        assert_eq!(thousands_f(2.5), "2.5");
        assert_eq!(thousands_f(1234.4), "1,234");
        assert_eq!(seconds(1.25), "1.2s");
    }
}
