//! Terraform's built-in functions as far as a plan-time value can be known: the string and
//! collection functions that shape names, keys and mapping settings (`lower`, `format`, `join`,
//! `lookup`, `try`, `coalesce`, `merge`, …). Called by the expression evaluator ([`super::eval`]);
//! a function shardlint does not evaluate yields an unknown value, never a guess.

use super::value::{Budget, V};

/// Terraform built-in functions that return a new value on every plan/apply.
pub(super) const TF_VOLATILE: [&str; 4] = ["uuid", "timestamp", "plantimestamp", "bcrypt"];

/// Terraform's built-in functions (for telling an IoT function written unescaped from a real one).
pub(super) const TF_FUNCTIONS: &[&str] = &[
    "abs",
    "abspath",
    "alltrue",
    "anytrue",
    "base64decode",
    "base64encode",
    "base64gzip",
    "base64sha256",
    "base64sha512",
    "basename",
    "bcrypt",
    "can",
    "ceil",
    "chomp",
    "chunklist",
    "cidrhost",
    "cidrnetmask",
    "cidrsubnet",
    "cidrsubnets",
    "coalesce",
    "coalescelist",
    "compact",
    "concat",
    "contains",
    "csvdecode",
    "dirname",
    "distinct",
    "element",
    "endswith",
    "ephemeralasnull",
    "file",
    "filebase64",
    "filebase64sha256",
    "filebase64sha512",
    "fileexists",
    "filemd5",
    "fileset",
    "filesha1",
    "filesha256",
    "filesha512",
    "flatten",
    "floor",
    "format",
    "formatdate",
    "formatlist",
    "indent",
    "index",
    "issensitive",
    "join",
    "jsondecode",
    "jsonencode",
    "keys",
    "length",
    "log",
    "lookup",
    "lower",
    "matchkeys",
    "max",
    "md5",
    "merge",
    "min",
    "nonsensitive",
    "one",
    "parseint",
    "pathexpand",
    "plantimestamp",
    "pow",
    "range",
    "regex",
    "regexall",
    "replace",
    "reverse",
    "rsadecrypt",
    "sensitive",
    "setintersection",
    "setproduct",
    "setsubtract",
    "setunion",
    "sha1",
    "sha256",
    "sha512",
    "signum",
    "slice",
    "sort",
    "split",
    "startswith",
    "strcontains",
    "strrev",
    "substr",
    "sum",
    "templatefile",
    "templatestring",
    "textdecodebase64",
    "textencodebase64",
    "timeadd",
    "timecmp",
    "timestamp",
    "title",
    "tobool",
    "tolist",
    "tomap",
    "tonumber",
    "toset",
    "tostring",
    "transpose",
    "trim",
    "trimprefix",
    "trimspace",
    "trimsuffix",
    "try",
    "upper",
    "urlencode",
    "uuid",
    "uuidv5",
    "values",
    "yamldecode",
    "yamlencode",
    "zipmap",
];

/// Applies function `name` to evaluated arguments. Strings produced are checked against the
/// budget by the caller.
pub(super) fn call(name: &str, args: &[V], budget: &Budget) -> V {
    // Terraform's `try`/`can` catch evaluation errors; an unknown argument keeps them unknown.
    match name {
        "try" => {
            for a in args {
                match a {
                    V::Error(_) => continue,
                    v => return v.clone(),
                }
            }
            return V::Error("no `try` argument evaluates without an error".into());
        }
        "can" => {
            return match args.first() {
                Some(V::Error(_)) => V::Bool(false),
                Some(V::Unknown(r)) => V::Unknown(r.clone()),
                Some(_) => V::Bool(true),
                None => V::Error("`can` needs an argument".into()),
            };
        }
        "lookup" if args.len() >= 2 => {
            let Some(key) = args[1].as_text() else {
                return args[1].unknown_or("`lookup` key is not a string");
            };
            return match &args[0] {
                V::Obj(_) => match args[0].attr(&key) {
                    V::Error(_) if args.len() == 3 => args[2].clone(),
                    v => v,
                },
                other => other.unknown_or("`lookup` of a non-map"),
            };
        }
        "coalesce" => {
            // The first argument that is neither null nor "": an unknown one before it decides.
            for a in args {
                match a {
                    V::Null => continue,
                    V::Str(s) if s.is_empty() => continue,
                    v => return v.clone(),
                }
            }
            return V::Error("`coalesce` has no non-null argument".into());
        }
        "merge" => {
            let mut out: Vec<(String, V, Option<crate::source::Span>)> = Vec::new();
            for a in args {
                match a {
                    V::Null => {}
                    V::Obj(fields) => {
                        for f in fields {
                            if let Some(slot) = out.iter_mut().find(|(k, _, _)| *k == f.0) {
                                *slot = f.clone();
                            } else {
                                out.push(f.clone());
                            }
                        }
                    }
                    other => return other.unknown_or("`merge` of a non-map"),
                }
            }
            return V::Obj(out);
        }
        _ => {}
    }
    if let Some(u) = args.iter().find(|a| a.is_unknown()) {
        return u.clone();
    }
    let texts: Option<Vec<String>> = args.iter().map(V::as_text).collect();
    match (name, texts) {
        ("lower", Some(t)) if t.len() == 1 => V::Str(t[0].to_lowercase()),
        ("upper", Some(t)) if t.len() == 1 => V::Str(t[0].to_uppercase()),
        ("trimspace", Some(t)) if t.len() == 1 => V::Str(t[0].trim().to_string()),
        ("tostring", Some(t)) if t.len() == 1 => V::Str(t[0].clone()),
        ("tonumber", Some(t)) if t.len() == 1 => t[0]
            .trim()
            .parse()
            .map(V::Num)
            .unwrap_or_else(|_| V::Error(format!("`{}` is not a number", t[0]))),
        ("tobool", Some(t)) if t.len() == 1 && (t[0] == "true" || t[0] == "false") => {
            V::Bool(t[0] == "true")
        }
        ("replace", Some(t)) if t.len() == 3 && !t[1].starts_with('/') => {
            // Bound the result before building it: each match may grow the string.
            let matches = if t[1].is_empty() {
                t[0].chars().count() + 1
            } else {
                t[0].matches(t[1].as_str()).count()
            };
            let size = t[0].len() + matches.saturating_mul(t[2].len());
            if let Err(e) = budget.check_size(size) {
                return e;
            }
            V::Str(t[0].replace(&t[1], &t[2]))
        }
        ("format", Some(t)) if !t.is_empty() => format_verbs(&t[0], &t[1..], budget),
        ("join", _) if args.len() == 2 => match (&args[0], &args[1]) {
            (V::Str(sep), V::List(items)) => {
                match items.iter().map(V::as_text).collect::<Option<Vec<_>>>() {
                    Some(v) => {
                        let size = v.iter().map(String::len).sum::<usize>()
                            + sep.len() * v.len().saturating_sub(1);
                        if let Err(e) = budget.check_size(size) {
                            return e;
                        }
                        V::Str(v.join(sep))
                    }
                    None => V::Unknown("`join` over items that are not strings".into()),
                }
            }
            _ => V::Unknown("`join` over unknown items".into()),
        },
        ("length", _) if args.len() == 1 => match &args[0] {
            V::List(l) => V::Num(l.len() as f64),
            V::Obj(o) => V::Num(o.len() as f64),
            V::Str(s) => V::Num(s.chars().count() as f64),
            _ => V::Unknown("`length` of an unknown value".into()),
        },
        ("keys", _) if args.len() == 1 => match &args[0] {
            V::Obj(o) => V::List(o.iter().map(|(k, _, _)| V::Str(k.clone())).collect()),
            _ => V::Unknown("`keys` of an unknown value".into()),
        },
        ("values", _) if args.len() == 1 => match &args[0] {
            V::Obj(o) => V::List(o.iter().map(|(_, v, _)| v.clone()).collect()),
            _ => V::Unknown("`values` of an unknown value".into()),
        },
        ("tolist" | "toset", _) if args.len() == 1 => match &args[0] {
            V::List(_) => args[0].clone(),
            _ => V::Unknown(format!("`{name}` of an unknown value")),
        },
        ("tomap", _) if args.len() == 1 => match &args[0] {
            V::Obj(_) => args[0].clone(),
            _ => V::Unknown("`tomap` of an unknown value".into()),
        },
        ("concat", _) => {
            let mut out = Vec::new();
            for a in args {
                match a {
                    V::List(l) => out.extend(l.iter().cloned()),
                    _ => return V::Unknown("`concat` of a non-list".into()),
                }
            }
            V::List(out)
        }
        ("element", _) if args.len() == 2 => match (&args[0], &args[1]) {
            (V::List(l), V::Num(n)) if !l.is_empty() && *n >= 0.0 => {
                l[(*n as usize) % l.len()].clone()
            }
            _ => V::Unknown("`element` of unknown values".into()),
        },
        ("max" | "min", _) if !args.is_empty() => {
            let nums: Option<Vec<f64>> = args
                .iter()
                .map(|a| match a {
                    V::Num(n) => Some(*n),
                    _ => None,
                })
                .collect();
            match nums {
                Some(n) if name == "max" => V::Num(n.into_iter().fold(f64::MIN, f64::max)),
                Some(n) => V::Num(n.into_iter().fold(f64::MAX, f64::min)),
                None => V::Unknown(format!("`{name}` of non-numbers")),
            }
        }
        _ => V::Unknown(format!(
            "the function `{name}()` is not evaluated by shardlint"
        )),
    }
}

/// Terraform's `format()` for the `%s`/`%d`/`%v`/`%%` verbs; anything else stays unknown.
fn format_verbs(fmt: &str, args: &[String], budget: &Budget) -> V {
    let size = fmt.len() + args.iter().map(String::len).sum::<usize>();
    if let Err(e) = budget.check_size(size) {
        return e;
    }
    let mut out = String::new();
    let mut args = args.iter();
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('%') => out.push('%'),
            Some('s' | 'd' | 'v') => match args.next() {
                Some(a) => out.push_str(a),
                None => return V::Error("`format` has too few arguments".into()),
            },
            _ => return V::Unknown("`format` verb not evaluated by shardlint".into()),
        }
    }
    V::Str(out)
}
