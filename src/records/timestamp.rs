//! Record timestamps, the one parser every command uses: RFC 3339 / ISO 8601 text
//! (`2019-12-17T20:10:52.21+00:00`, as the AWS CLI v2 prints `ApproximateArrivalTimestamp`) and
//! epoch numbers (seconds as the CLI v1 prints them, or milliseconds as IoT's `timestamp()`).
//! Strict: a date or time that does not exist (`2022-13-45T99:99:99Z`) is an error, never a
//! silently shifted instant. Part of the records layer (`records::decode` calls it).

use serde_json::value::RawValue;

/// Epoch numbers below this are seconds, at or above it milliseconds (1e11 s is the year 5138;
/// 1e11 ms is March 1973, before any Kinesis record).
const SECONDS_BELOW: f64 = 1e11;

/// A JSON timestamp value: a number, a string holding a number, or RFC 3339 text. `Ok(None)`
/// for `null`; `Err` says why the value is not a timestamp.
pub fn parse_json(raw: &RawValue) -> Result<Option<i64>, String> {
    let t = raw.get().trim();
    if t == "null" {
        return Ok(None);
    }
    if let Some(s) = t.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        // Timestamps are plain ASCII: a string with escapes is not one.
        return parse_text(s).map(Some);
    }
    parse_number(t)
        .map(Some)
        .ok_or_else(|| format!("`{}` is not a timestamp", shown(t)))
}

/// A timestamp written as text: an epoch number or RFC 3339.
pub fn parse_text(s: &str) -> Result<i64, String> {
    if let Some(ms) = parse_number(s) {
        return Ok(ms);
    }
    parse_rfc3339_ms(s).ok_or_else(|| format!("`{}` is not a timestamp", shown(s)))
}

fn parse_number(s: &str) -> Option<i64> {
    let s = s.trim();
    // `f64::from_str` also takes `inf`, `NaN` and `+1`: only JSON-like numbers are times.
    let ok = s
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_digit() || b == b'-')
        && s.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'e' | b'E' | b'+'));
    if !ok {
        return None;
    }
    let n: f64 = s.parse().ok().filter(|n: &f64| n.is_finite())?;
    let ms = if n.abs() < SECONDS_BELOW {
        n * 1000.0
    } else {
        n
    };
    // Beyond ±10,000 years is not an arrival time.
    (ms.abs() < 3.2e14).then(|| ms.round() as i64)
}

fn shown(s: &str) -> String {
    let cut: String = s.chars().take(40).collect();
    if cut.len() < s.len() {
        format!("{cut}…")
    } else {
        cut
    }
}

/// `2019-12-17T20:10:52.21+00:00`, `...Z`, or with a space instead of `T`, to Unix
/// milliseconds; `None` unless every field is in range.
pub fn parse_rfc3339_ms(s: &str) -> Option<i64> {
    let s = s.trim();
    let b = s.as_bytes();
    if b.len() < 19 || !s.is_char_boundary(19) {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        t.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| t.parse().ok())?
    };
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
    // 60 is a leap second (RFC 3339 §5.6); it counts as the next second.
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60
    {
        return None;
    }
    let mut rest = &s[19..];
    let mut frac_ms = 0i64;
    if let Some(r) = rest.strip_prefix('.') {
        let n = r.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return None;
        }
        let digits = &r[..n];
        rest = &r[n..];
        let padded = format!("{:0<3}", &digits[..n.min(3)]);
        frac_ms = padded.parse().ok()?;
    }
    let offset_min = match rest {
        "" | "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let hm = &rest[1..];
            let (oh, om) = match hm.len() {
                5 if hm.as_bytes()[2] == b':' => (hm.get(0..2)?, hm.get(3..5)?),
                4 => (hm.get(0..2)?, hm.get(2..4)?),
                _ => return None,
            };
            if !oh.bytes().chain(om.bytes()).all(|c| c.is_ascii_digit()) {
                return None;
            }
            let (oh, om): (i64, i64) = (oh.parse().ok()?, om.parse().ok()?);
            if oh > 23 || om > 59 {
                return None;
            }
            sign * (oh * 60 + om)
        }
    };
    let days = days_from_civil(y, mo, d);
    Some(((days * 86_400 + h * 3600 + mi * 60 + sec - offset_min * 60) * 1000) + frac_ms)
}

/// Unix milliseconds to `2019-12-17T20:10:52.210Z` (UTC), for reports naming a second.
pub fn format_rfc3339_ms(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let rest = ms.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    let (h, mi, s, f) = (
        rest / 3_600_000,
        rest / 60_000 % 60,
        rest / 1000 % 60,
        rest % 1000,
    );
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{f:03}Z")
}

/// Year, month, day of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
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

    fn json(s: &str) -> Result<Option<i64>, String> {
        parse_json(&RawValue::from_string(s.to_string()).unwrap())
    }

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
    fn formats_back() {
        for t in [
            "1970-01-01T00:00:00.000Z",
            "2020-01-14T06:01:10.250Z",
            "2000-02-29T23:59:59.999Z",
            "1969-12-31T23:59:59.500Z",
        ] {
            assert_eq!(format_rfc3339_ms(parse_rfc3339_ms(t).unwrap()), t);
        }
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

    #[test]
    fn impossible_dates_and_times_are_rejected() {
        for bad in [
            "2022-13-45T99:99:99Z",
            "2022-00-10T00:00:00Z",
            "2022-02-29T00:00:00Z",
            "2022-04-31T00:00:00Z",
            "2022-01-01T24:00:00Z",
            "2022-01-01T00:60:00Z",
            "2022-01-01T00:00:61Z",
            "2022-01-01T00:00:00.Z",
            "2022-01-01T00:00:00+24:00",
            "2022-01-01T00:00:00+05:0",
            "2022-01-01T00:00:00Zjunk",
            "+022-01-01T00:00:00Z",
        ] {
            assert_eq!(parse_rfc3339_ms(bad), None, "{bad}");
        }
        assert!(parse_rfc3339_ms("2024-02-29T00:00:00Z").is_some());
    }

    #[test]
    fn json_values() {
        assert_eq!(json("1700000000.5"), Ok(Some(1_700_000_000_500)));
        assert_eq!(json("\"1700000000.5\""), Ok(Some(1_700_000_000_500)));
        assert_eq!(json("1667264400000"), Ok(Some(1_667_264_400_000)));
        assert_eq!(json("null"), Ok(None));
        assert_eq!(
            json("\"2024-02-29 12:00:00.250000+00:00\""),
            Ok(Some(1_709_208_000_250))
        );
        assert!(json("\"2022-13-45T99:99:99Z\"").is_err());
        assert!(json("\"nope\"").is_err());
        assert!(json("\"NaN\"").is_err());
        assert!(json("true").is_err());
        assert!(json("{}").is_err());
    }
}
