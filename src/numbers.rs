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

/// A measured duration for messages: `950 ms`, `41.5 s`, `29 min 32 s`, `30 min`, `3 h 5 min`,
/// `2 h` (a zero last part is left out).
pub fn duration_ms(ms: f64) -> String {
    if ms < 1000.0 {
        return format!("{ms:.0} ms");
    }
    let s = ms / 1000.0;
    if s < 60.0 {
        return format!("{s:.1} s");
    }
    let s = s.round() as u64;
    let (big, small, units) = if s < 3600 {
        (s / 60, s % 60, ("min", "s"))
    } else {
        (s / 3600, s / 60 % 60, ("h", "min"))
    };
    if small == 0 {
        format!("{big} {}", units.0)
    } else {
        format!("{big} {} {small} {}", units.0, units.1)
    }
}

/// A configured length in whole units, for messages: `48 h`, `7 days`, `90 min`, `45 s`.
pub fn whole_duration(s: u64) -> String {
    if s >= 7 * 86_400 && s.is_multiple_of(86_400) {
        format!("{} days", s / 86_400)
    } else if s >= 3_600 && s.is_multiple_of(3_600) {
        format!("{} h", s / 3_600)
    } else if s >= 60 && s.is_multiple_of(60) {
        format!("{} min", s / 60)
    } else {
        format!("{s} s")
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

    #[test]
    fn durations() {
        assert_eq!(duration_ms(950.0), "950 ms");
        assert_eq!(duration_ms(41_500.0), "41.5 s");
        assert_eq!(duration_ms(1_772_000.0), "29 min 32 s");
        assert_eq!(duration_ms(1_800_000.0), "30 min");
        assert_eq!(duration_ms(11_100_000.0), "3 h 5 min");
        assert_eq!(duration_ms(7_200_000.0), "2 h");
        assert_eq!(whole_duration(604_800), "7 days");
        assert_eq!(whole_duration(172_800), "48 h");
        assert_eq!(whole_duration(86_400), "24 h");
        assert_eq!(whole_duration(5_400), "90 min");
        assert_eq!(whole_duration(45), "45 s");
    }
}
