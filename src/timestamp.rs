//! RFC 3339 / ISO 8601 timestamps (`2019-12-17T20:10:52.21+00:00`) to Unix milliseconds, for
//! sample records' `timestamp` and `ApproximateArrivalTimestamp`. Shared by the distribution
//! readers and the simulator's arrivals.

/// `2019-12-17T20:10:52.21+00:00`, `...Z`, or with a space instead of `T`, to Unix milliseconds.
pub fn parse_rfc3339_ms(s: &str) -> Option<i64> {
    let s = s.trim();
    let b = s.as_bytes();
    if b.len() < 19 {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> { s.get(r)?.parse().ok() };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let mut rest = &s[19..];
    let mut frac_ms = 0i64;
    if let Some(r) = rest.strip_prefix('.') {
        let digits: String = r.chars().take_while(|c| c.is_ascii_digit()).collect();
        rest = &r[digits.len()..];
        let padded = format!("{digits:0<3}");
        frac_ms = padded[..3].parse().ok()?;
    }
    let offset_min = match rest {
        "" | "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let hm = rest[1..].replace(':', "");
            if hm.len() != 4 {
                return None;
            }
            sign * (hm[..2].parse::<i64>().ok()? * 60 + hm[2..].parse::<i64>().ok()?)
        }
    };
    let days = days_from_civil(y, mo, d);
    Some(((days * 86_400 + h * 3600 + mi * 60 + sec - offset_min * 60) * 1000) + frac_ms)
}

/// Unix seconds to `2026-11-30T22:00:00Z` (UTC, whole seconds).
pub fn format_rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// The date of a day number since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

/// Days since 1970-01-01 (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        assert_eq!(parse_rfc3339_ms("1970-01-01T00:00:01Z"), Some(1000));
        assert_eq!(
            parse_rfc3339_ms("2020-01-14T06:01:10.250+00:00"),
            Some(1_578_981_670_250)
        );
        assert_eq!(
            parse_rfc3339_ms("2020-01-14T15:01:10+09:00"),
            Some(1_578_981_670_000)
        );
        assert_eq!(parse_rfc3339_ms("yesterday"), None);
    }

    #[test]
    fn formats_round_trip() {
        for secs in [0, 951_782_400, 1_578_981_670, 1_796_076_000, 4_107_542_399] {
            let s = format_rfc3339(secs);
            assert_eq!(parse_rfc3339_ms(&s), Some(secs * 1000), "{s}");
        }
        assert_eq!(format_rfc3339(1_578_981_670), "2020-01-14T06:01:10Z");
    }

    #[test]
    fn space_separator_fraction_and_no_offset() {
        assert_eq!(parse_rfc3339_ms("1970-01-01 00:00:01.5"), Some(1500));
        assert_eq!(
            parse_rfc3339_ms("2022-11-01T10:10:00+0900"),
            parse_rfc3339_ms("2022-11-01T01:10:00Z")
        );
        assert_eq!(parse_rfc3339_ms("1970-01-01X00:00:01Z"), None);
    }
}
