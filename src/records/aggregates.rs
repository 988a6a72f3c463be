//! Rows of a `shardlint sql` result, as engines export them: JSON lines (`duckdb -json`, Spark's
//! `df.write.json`), one JSON array, or CSV with a header row (Athena's result file; an empty
//! field is NULL). Only the format lives here; what the rows mean is `distribution::aggregates`.
//! A row that cannot be read is an error located at its line (and column, for JSON), and the
//! rest are still read.

use std::path::Path;

/// One result row; columns as in `docs/sql.md`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Row {
    pub kind: String,
    pub shard_id: Option<String>,
    pub grp: Option<u32>,
    pub item: Option<String>,
    pub at_ms: Option<i64>,
    pub records: Option<u64>,
    pub bytes: Option<u64>,
    pub keys: Option<u64>,
    /// 1-based line of the row in the file.
    pub line: usize,
}

/// A row that could not be read: `file:line:column: message`.
#[derive(Clone, Debug, PartialEq)]
pub struct RowError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Largest result file read (a result is a few hundred rows; this bounds memory on a wrong file).
pub const MAX_BYTES: u64 = 64 << 20;

/// Reads every row of `path`; `Err` when the file cannot be read at all.
pub fn read(path: &Path) -> Result<(Vec<Row>, Vec<RowError>), String> {
    let meta =
        std::fs::metadata(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    if meta.len() > MAX_BYTES {
        return Err(format!(
            "`{}` is {} bytes: a `shardlint sql` result is a few hundred rows (at most {} bytes read)",
            path.display(),
            crate::numbers::thousands(meta.len()),
            crate::numbers::thousands(MAX_BYTES)
        ));
    }
    let bytes =
        std::fs::read(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        format!(
            "`{}` is not UTF-8 (byte {}): export the result as JSON or CSV",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let first = text.trim_start().chars().next();
    Ok(match first {
        None => (Vec::new(), Vec::new()),
        Some('[') => json_array(text),
        Some('{') => json_lines(text),
        Some(_) => csv_rows(text),
    })
}

fn json_lines(text: &str) -> (Vec<Row>, Vec<RowError>) {
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<serde_json::Value>(line) {
            Ok(v) => match from_json(&v, i + 1) {
                Ok(r) => rows.push(r),
                Err(m) => errors.push(RowError {
                    line: i + 1,
                    column: 1,
                    message: m,
                }),
            },
            Err(e) => errors.push(RowError {
                line: i + 1,
                column: e.column().max(1),
                message: format!("not a JSON object: {e}"),
            }),
        }
    }
    (rows, errors)
}

fn json_array(text: &str) -> (Vec<Row>, Vec<RowError>) {
    let items: Vec<&serde_json::value::RawValue> = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            return (
                Vec::new(),
                vec![RowError {
                    line: e.line().max(1),
                    column: e.column().max(1),
                    message: format!("not a JSON array of rows: {e}"),
                }],
            );
        }
    };
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for raw in items {
        // The element is a slice of `text`: its offset gives its line.
        let offset = raw.get().as_ptr() as usize - text.as_ptr() as usize;
        let line = text[..offset].matches('\n').count() + 1;
        let column = offset - text[..offset].rfind('\n').map_or(0, |p| p + 1) + 1;
        let parsed = serde_json::from_str::<serde_json::Value>(raw.get())
            .map_err(|e| e.to_string())
            .and_then(|v| from_json(&v, line));
        match parsed {
            Ok(r) => rows.push(r),
            Err(message) => errors.push(RowError {
                line,
                column,
                message,
            }),
        }
    }
    (rows, errors)
}

fn from_json(v: &serde_json::Value, line: usize) -> Result<Row, String> {
    let obj = v
        .as_object()
        .ok_or_else(|| "a row must be a JSON object".to_string())?;
    // Column names as the engine wrote them, in any case.
    let get = |name: &str| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
            .filter(|v| !v.is_null())
    };
    let text = |name: &str| -> Result<Option<String>, String> {
        match get(name) {
            None => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Ok(Some(other.to_string())),
        }
    };
    let int = |name: &str| -> Result<Option<i64>, String> {
        match get(name) {
            None => Ok(None),
            Some(serde_json::Value::Number(n)) => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| format!("`{name}` is `{n}`, not a whole number")),
            // Some exporters quote BIGINTs (JavaScript-safe JSON).
            Some(serde_json::Value::String(s)) => parse_int(name, s).map(Some),
            Some(other) => Err(format!("`{name}` is `{other}`, not a whole number")),
        }
    };
    row(
        text("kind")?,
        text("shard_id")?,
        int("grp")?,
        text("item")?,
        int("at_ms")?,
        int("records")?,
        int("bytes")?,
        int("keys")?,
        line,
    )
}

fn parse_int(name: &str, s: &str) -> Result<i64, String> {
    s.trim()
        .parse::<i64>()
        .map_err(|_| format!("`{name}` is `{s}`, not a whole number"))
}

#[allow(clippy::too_many_arguments)]
fn row(
    kind: Option<String>,
    shard_id: Option<String>,
    grp: Option<i64>,
    item: Option<String>,
    at_ms: Option<i64>,
    records: Option<i64>,
    bytes: Option<i64>,
    keys: Option<i64>,
    line: usize,
) -> Result<Row, String> {
    let kind = kind.ok_or_else(|| "the row has no `kind`".to_string())?;
    let count = |name: &str, v: Option<i64>| -> Result<Option<u64>, String> {
        v.map(|x| u64::try_from(x).map_err(|_| format!("`{name}` is negative (`{x}`)")))
            .transpose()
    };
    let grp = match grp {
        None => None,
        Some(g) => Some(u32::try_from(g).map_err(|_| format!("`grp` is out of range (`{g}`)"))?),
    };
    Ok(Row {
        kind,
        shard_id,
        grp,
        item,
        at_ms,
        records: count("records", records)?,
        bytes: count("bytes", bytes)?,
        keys: count("keys", keys)?,
        line,
    })
}

fn csv_rows(text: &str) -> (Vec<Row>, Vec<RowError>) {
    let mut rd = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let header: Vec<String> = match rd.headers() {
        Ok(h) => h.iter().map(|s| s.trim().to_ascii_lowercase()).collect(),
        Err(e) => {
            return (
                rows,
                vec![RowError {
                    line: 1,
                    column: 1,
                    message: format!("cannot read the CSV header: {e}"),
                }],
            );
        }
    };
    let col = |name: &str| header.iter().position(|h| h == name);
    let Some(kind_col) = col("kind") else {
        return (
            rows,
            vec![RowError {
                line: 1,
                column: 1,
                message: format!(
                    "the header has no `kind` column (columns: `{}`): is this a `shardlint sql` result?",
                    header.join("`, `")
                ),
            }],
        );
    };
    let cols = [
        col("shard_id"),
        col("grp"),
        col("item"),
        col("at_ms"),
        col("records"),
        col("bytes"),
        col("keys"),
    ];
    for rec in rd.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                errors.push(RowError {
                    line,
                    column: 1,
                    message: format!("unreadable CSV row: {e}"),
                });
                continue;
            }
        };
        let line = rec.position().map_or(0, |p| p.line() as usize);
        // Athena writes NULL as an empty field.
        let field = |c: Option<usize>| -> Option<String> {
            c.and_then(|i| rec.get(i))
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let int = |name: &str, c: Option<usize>| -> Result<Option<i64>, String> {
            field(c).map(|s| parse_int(name, &s)).transpose()
        };
        let parsed = (|| {
            row(
                field(Some(kind_col)),
                field(cols[0]),
                int("grp", cols[1])?,
                field(cols[2]),
                int("at_ms", cols[3])?,
                int("records", cols[4])?,
                int("bytes", cols[5])?,
                int("keys", cols[6])?,
                line,
            )
        })();
        match parsed {
            Ok(r) => rows.push(r),
            Err(message) => errors.push(RowError {
                line,
                column: 1,
                message,
            }),
        }
    }
    (rows, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("result");
        std::fs::write(&p, text).unwrap();
        (dir, p)
    }

    #[test]
    fn the_three_export_shapes_read_the_same_rows() {
        let lines = "{\"kind\":\"shard\",\"shard_id\":\"s-1\",\"grp\":null,\"item\":null,\"at_ms\":null,\"records\":4,\"bytes\":\"40\",\"keys\":null}\n\n{\"KIND\":\"key\",\"item\":\"a,b\",\"records\":4}\n";
        let array = "[\n {\"kind\":\"shard\",\"shard_id\":\"s-1\",\"records\":4,\"bytes\":40},\n {\"kind\":\"key\",\"item\":\"a,b\",\"records\":4}\n]";
        let csv = "kind,shard_id,grp,item,at_ms,records,bytes,keys\n\"shard\",\"s-1\",,,,\"4\",\"40\",\n\"key\",,,\"a,b\",,\"4\",,\n";
        let mut all = Vec::new();
        for t in [lines, array, csv] {
            let (_d, p) = write(t);
            let (rows, errors) = read(&p).unwrap();
            assert!(errors.is_empty(), "{errors:?}");
            all.push(
                rows.into_iter()
                    .map(|r| Row { line: 0, ..r })
                    .collect::<Vec<_>>(),
            );
        }
        assert_eq!(all[0], all[1]);
        assert_eq!(all[0], all[2]);
        assert_eq!(all[0][0].bytes, Some(40));
        assert_eq!(all[0][1].item.as_deref(), Some("a,b"));
    }

    #[test]
    fn bad_rows_are_located_and_the_rest_read() {
        let (_d, p) = write(
            "{\"kind\":\"shard\",\"records\":1}\n{\"kind\":\"shard\",\"records\":-3}\n{oops\n{\"records\":1}\n{\"kind\":\"key\",\"records\":2}\n",
        );
        let (rows, errors) = read(&p).unwrap();
        assert_eq!(rows.len(), 2);
        let at: Vec<(usize, usize)> = errors.iter().map(|e| (e.line, e.column)).collect();
        assert_eq!(at, [(2, 1), (3, 2), (4, 1)]);
        assert!(errors[0].message.contains("negative"), "{errors:?}");
        assert!(errors[2].message.contains("no `kind`"), "{errors:?}");

        let (_d, p) = write("kind,records\nshard,x\nkey,2\n");
        let (rows, errors) = read(&p).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(errors[0].line, 2);
        assert!(errors[0].message.contains("`records` is `x`"));

        let (_d, p) = write("a,b\n1,2\n");
        let (_, errors) = read(&p).unwrap();
        assert!(errors[0].message.contains("no `kind` column"));
    }

    #[test]
    fn array_rows_carry_their_line() {
        let (_d, p) = write("[\n{\"kind\":\"a\"},\n  {\"kind\":1.5e3, \"records\": true}\n]");
        let (rows, errors) = read(&p).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!((errors[0].line, errors[0].column), (3, 3));
    }
}
