//! The two things a rule's SQL tells the key analysis: the `FROM '<topic filter>'` (for
//! `topic(n)`) and the `SELECT ... AS alias` names (templates cannot see them). A token scan,
//! not a SQL parser: it tracks quotes and bracket depth so `cast(x AS String)` and nested
//! SELECTs are not mistaken for aliases. Also MQTT topic-filter matching.

use std::ops::Range;

use super::SqlInfo;

#[derive(Debug, PartialEq)]
enum Tok {
    Word,
    /// A quoted string; the token range includes the quotes.
    Str,
    Punct(u8),
}

fn tokens(sql: &str) -> Vec<(Tok, Range<usize>)> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80 {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] >= 0x80) {
                i += 1;
            }
            out.push((Tok::Word, start..i));
        } else if c == b'\'' || c == b'"' {
            let start = i;
            i += 1;
            while i < b.len() && b[i] != c {
                // A backslash keeps the next byte (an escaped quote) inside the string.
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i = (i + 1).min(b.len());
            out.push((Tok::Str, start..i));
        } else {
            out.push((Tok::Punct(c), i..i + 1));
            i += 1;
        }
    }
    out
}

fn is_kw(sql: &str, tok: &(Tok, Range<usize>), kw: &str) -> bool {
    tok.0 == Tok::Word && sql[tok.1.clone()].eq_ignore_ascii_case(kw)
}

pub fn parse_sql(sql: &str) -> SqlInfo {
    let toks = tokens(sql);
    let mut aliases = Vec::new();
    let mut topic_filter = None;
    let mut depth = 0i32;
    let mut in_select = false;
    let mut i = 0;
    while i < toks.len() {
        let tok = &toks[i];
        match tok.0 {
            Tok::Punct(b'(' | b'[' | b'{') => depth += 1,
            Tok::Punct(b')' | b']' | b'}') => depth -= 1,
            _ => {}
        }
        if depth == 0 {
            if is_kw(sql, tok, "select") && topic_filter.is_none() {
                in_select = true;
            } else if in_select && is_kw(sql, tok, "as") {
                if let Some(next) = toks.get(i + 1).filter(|t| t.0 == Tok::Word) {
                    aliases.push((sql[next.1.clone()].to_string(), next.1.clone()));
                    i += 1;
                }
            } else if is_kw(sql, tok, "from") {
                in_select = false;
                if let Some(next) = toks.get(i + 1).filter(|t| t.0 == Tok::Str)
                    && topic_filter.is_none()
                {
                    let r = next.1.clone();
                    let closed =
                        r.len() >= 2 && sql.as_bytes()[r.end - 1] == sql.as_bytes()[r.start];
                    let inner = r.start + 1..if closed { r.end - 1 } else { r.end };
                    topic_filter = Some((sql[inner.clone()].to_string(), inner));
                }
            }
        }
        i += 1;
    }
    SqlInfo {
        topic_filter,
        aliases,
        vars: set_clause(sql, &toks),
    }
}

/// `SET @a = expr [, @b = expr]` before `SELECT` (iot-sql-set.md): each variable with its parsed
/// expression, in order. A variable may use earlier ones; they are bound as they are read. A
/// malformed expression leaves its variable out (templates using it are then unknown).
fn set_clause(sql: &str, toks: &[(Tok, Range<usize>)]) -> Vec<(String, super::Expr)> {
    let mut vars: Vec<(String, super::Expr)> = Vec::new();
    let Some(first) = toks.first() else {
        return vars;
    };
    if !is_kw(sql, first, "set") {
        return vars;
    }
    // Split the clause at top-level commas up to the top-level SELECT.
    let mut depth = 0i32;
    let mut items: Vec<Range<usize>> = Vec::new();
    let mut start = first.1.end;
    for tok in &toks[1..] {
        match tok.0 {
            Tok::Punct(b'(' | b'[' | b'{') => depth += 1,
            Tok::Punct(b')' | b']' | b'}') => depth -= 1,
            _ => {}
        }
        if depth == 0 && is_kw(sql, tok, "select") {
            items.push(start..tok.1.start);
            break;
        }
        if depth == 0 && tok.0 == Tok::Punct(b',') {
            items.push(start..tok.1.start);
            start = tok.1.end;
        }
    }
    for item in items {
        let text = &sql[item];
        let Some((name, expr)) = text.split_once('=') else {
            continue;
        };
        let Some(name) = name.trim().strip_prefix('@') else {
            continue;
        };
        let Ok(mut e) = super::parser::parse_expr(expr) else {
            continue;
        };
        let mut t = super::Template {
            parts: vec![super::Part::Expr {
                expr: e,
                range: 0..0,
            }],
            sql_version: Default::default(),
        };
        super::bind_vars(&mut t, &vars);
        if let Some(super::Part::Expr { expr, .. }) = t.parts.pop() {
            e = expr;
            vars.push((name.to_string(), e));
        }
    }
    vars
}

/// Topic filter matching as AWS IoT does it: `+` is exactly one level, `#` (last level only) is
/// one or more levels. Unlike MQTT 3.1.1 §4.7.1.2, the parent is not matched: `sensor/#` matches
/// `sensor/`, `sensor/temperature`, but not `sensor` (IoT developer guide, "AWS IoT differences
/// from MQTT version 3.1.1 specification"; the FROM clause: "one or more path elements").
/// Wildcards at the first level do not match topics starting with `$` (MQTT 3.1.1 §4.7.2), so
/// `#` does not match `$aws/...`.
pub fn topic_matches(filter: &str, topic: &str) -> bool {
    if topic.starts_with('$') && (filter.starts_with('+') || filter.starts_with('#')) {
        return false;
    }
    let mut f = filter.split('/');
    let mut t = topic.split('/');
    loop {
        match (f.next(), t.next()) {
            (Some("#"), Some(_)) => return f.next().is_none(),
            (Some("+"), Some(_)) => {}
            (Some(a), Some(b)) if a == b => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_clause_variables_are_parsed_and_chained() {
        let info = parse_sql(
            "SET @v = get(devices, 0).vin, @k = @v + '-' + (temp - 32) * 5 / 9 SELECT @k AS key FROM 'a/+'",
        );
        let names: Vec<&str> = info.vars.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["v", "k"]);
        // `@k` refers to `@v`, bound when read.
        assert!(format!("{:?}", info.vars[1].1).contains("value: Some"));
        assert_eq!(info.topic_filter.unwrap().0, "a/+");
        assert!(parse_sql("SELECT * FROM 'a'").vars.is_empty());
    }

    #[test]
    fn from_filter_with_single_and_double_quotes() {
        let sql = "SELECT * FROM 'a/+/b' WHERE x > 1";
        let info = parse_sql(sql);
        let (f, r) = info.topic_filter.unwrap();
        assert_eq!(f, "a/+/b");
        assert_eq!(r, 15..20);
        assert_eq!(&sql[r], "a/+/b");
        assert!(info.aliases.is_empty());

        let sql = "select * from \"fleet/#\"";
        let (f, r) = parse_sql(sql).topic_filter.unwrap();
        assert_eq!(f, "fleet/#");
        assert_eq!(&sql[r], "fleet/#");
    }

    #[test]
    fn aliases_but_not_cast_types() {
        let sql = "SELECT vin AS id, cast(speed AS String) AS speed_s, get(list, 0).vin as v2, \
                   concat('a AS b', (select x AS y from z)) AS c FROM 'car/+/data'";
        let info = parse_sql(sql);
        let names: Vec<&str> = info.aliases.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["id", "speed_s", "v2", "c"]);
        for (name, r) in &info.aliases {
            assert_eq!(&sql[r.clone()], name);
        }
        assert_eq!(info.topic_filter.unwrap().0, "car/+/data");
    }

    #[test]
    fn non_ascii_and_missing_from() {
        let sql = "SELECT 'é' AS näme FROM 'zone/é/+'";
        let info = parse_sql(sql);
        assert_eq!(info.aliases[0].0, "näme");
        assert_eq!(&sql[info.aliases[0].1.clone()], "näme");
        let (f, r) = info.topic_filter.unwrap();
        assert_eq!(f, "zone/é/+");
        assert_eq!(&sql[r], "zone/é/+");

        let info = parse_sql("SELECT a AS b");
        assert_eq!(info.topic_filter, None);
        assert_eq!(info.aliases.len(), 1);
    }

    #[test]
    fn topic_matching() {
        assert!(topic_matches("a/+/b", "a/x/b"));
        assert!(!topic_matches("a/+/b", "a/x/y/b"));
        assert!(!topic_matches("a/+/b", "a/b"));
        // AWS does not match the parent level (MQTT 3.1.1 would).
        assert!(!topic_matches("a/#", "a"));
        assert!(topic_matches("a/#", "a/"));
        assert!(topic_matches("a/#", "a/b"));
        assert!(topic_matches("a/#", "a/b/c"));
        assert!(!topic_matches("a/#", "b/c"));
        assert!(topic_matches("#", "x/y"));
        assert!(!topic_matches("#", "$aws/things/x"));
        assert!(topic_matches(
            "$aws/things/+/shadow/update",
            "$aws/things/x/shadow/update"
        ));
        assert!(topic_matches("some/topic", "some/topic"));
        assert!(!topic_matches("some/topic", "some/topic/more"));
        assert!(!topic_matches("some/topic/more", "some/topic"));
        assert!(topic_matches("a/+", "a/"));
    }
}
